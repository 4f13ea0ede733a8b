import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ZipFile } from 'yazl';
import { PexError } from '../common';
import { availableScripts, parseEntryPoints, readWheelScripts } from './wheelMetadata';

function writeZip(file: string, entries: Record<string, string>, compress: boolean): Promise<void> {
  return new Promise((resolve) => {
    const zip = new ZipFile();
    for (const [name, text] of Object.entries(entries)) zip.addBuffer(Buffer.from(text), name, { compress });
    zip.outputStream.pipe(fs.createWriteStream(file)).on('close', () => resolve());
    zip.end();
  });
}

describe('wheel scripts', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pex-wheelmeta-'));

  test('parseEntryPoints reads console and gui scripts only', () => {
    const text =
      '[console_scripts]\nblack = black:patched_main\nblackd = blackd:patched_main ' +
      '[d]\n\n[gui_scripts]\nviewer=app.gui:run\n[flake8.extension]\nE = x:y\n';
    expect(parseEntryPoints(text)).toEqual({ black: 'black:patched_main', blackd: 'blackd:patched_main', viewer: 'app.gui:run' });
  });

  test.each([true, false])('reads entry points and .data/scripts from a wheel (deflated: %s)', async (compress) => {
    const wheel = path.join(dir, `tool-1.0-py3-none-any-${compress}.whl`);
    await writeZip(
      wheel,
      {
        'tool/__init__.py': '',
        'tool-1.0.dist-info/entry_points.txt': '[console_scripts]\ntool = tool:main\n',
        'tool-1.0.data/scripts/tool-sh': '#!/bin/sh\n',
      },
      compress,
    );
    expect(readWheelScripts(wheel)).toEqual({ entryPoints: { tool: 'tool:main' }, dataScripts: ['tool-sh'] });
    expect(availableScripts([wheel])).toEqual(['tool', 'tool-sh']);
  });

  test('a file that is not a zip is one clear error', () => {
    const bogus = path.join(dir, 'bogus.whl');
    fs.writeFileSync(bogus, 'not a zip');
    expect(() => readWheelScripts(bogus)).toThrow(PexError);
    expect(() => readWheelScripts(bogus)).toThrow(
      /^not a zip file or damaged \(.+\), .*\/bogus\.whl: re-download it or rebuild the wheel$/,
    );
  });
});
