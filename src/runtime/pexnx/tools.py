"""`PEX_TOOLS=1 x.pex info` and `PEX_TOOLS=1 x.pex venv DIR`."""

import argparse
import json
import os

from . import boot, interpreter, venv


def main(archive, argv):
    parser = argparse.ArgumentParser(
        prog="PEX_TOOLS=1 " + os.path.basename(archive.path), description="Tools of a pex-nx archive."
    )
    commands = parser.add_subparsers(dest="command", metavar="{info,venv}")
    commands.required = True
    commands.add_parser(
        "info", help="print PEX-INFO as indented JSON (pex_nx.environments: the locked environments and their wheels)"
    )
    tool = commands.add_parser("venv", help="create a venv from this archive")
    tool.add_argument("dir", help="where to create the venv")
    tool.add_argument("--force", action="store_true", help="replace DIR if it exists and is not empty")
    tool.add_argument(
        "--bin-path",
        choices=("prepend", "append", "false"),
        help="put the venv's bin/ on PATH when its `pex` runs (default: PEX-INFO venv_bin_path)",
    )
    tool.add_argument("--compile", action="store_true", help="byte-compile site-packages")
    tool.add_argument(
        "--collisions-ok", action="store_true", help="keep the first of differing files two wheels install"
    )
    tool.add_argument("--pip", action="store_true", help="also install pip (from the archive, else from ensurepip)")
    tool.add_argument("--prompt", help="the activation scripts' prompt (default: DIR's name)")
    tool.add_argument("--relocatable", action="store_true", help="keep working when DIR is moved or copied")
    args = parser.parse_args(argv)
    if args.command == "info":
        print(json.dumps(archive.info, indent=2, sort_keys=True))
        return 0
    interpreter.select(archive.info, archive.path)
    options = venv.Options(
        relocatable=args.relocatable,
        prompt=args.prompt,
        bin_path=args.bin_path,
        collisions_ok=args.collisions_ok,
        compile=args.compile,
        pip=args.pip,
    )
    with venv.no_shared_write():
        venv.materialize(archive, args.dir, options, args.force, boot.pex_root())
    return 0
