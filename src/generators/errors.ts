import type { GeneratorCallback, Tree } from '@nx/devkit';
import { formatError, PexError } from '../core/common';

/**
 * `error` as Nx shows it: Nx prints a failed generator's (or sync generator's) message as its one
 * line, so the message becomes the whole error line, `pex: <what>, <where>: <fix>`.
 */
export function shownByNx(error: PexError): PexError {
  const shown = new PexError(error.what, error.where, error.fix);
  shown.message = formatError(error);
  return shown;
}

async function shown<R>(body: () => R | Promise<R>): Promise<R> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof PexError) throw shownByNx(e);
    throw e;
  }
}

/** A generator, and the task callback it returns, whose PexErrors Nx prints as our error line. */
export function withErrorPrefix<T>(generator: (tree: Tree, options: T) => void | GeneratorCallback | Promise<void | GeneratorCallback>) {
  return async (tree: Tree, options: T): Promise<GeneratorCallback | void> => {
    const callback = await shown(() => generator(tree, options));
    if (callback) return () => shown(callback);
  };
}
