import type { GeneratorCallback, Tree } from '@nx/devkit';
import { PexError } from '../core/common';

async function prefixed<R>(body: () => R | Promise<R>): Promise<R> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof PexError) throw new PexError(`pex: ${e.message}`);
    throw e;
  }
}

/**
 * Nx prints a generator's error message as its one line, and the same for the task callback it
 * returns; ours start with `pex:` like the executors' do.
 */
export function withErrorPrefix<T>(generator: (tree: Tree, options: T) => void | GeneratorCallback | Promise<void | GeneratorCallback>) {
  return async (tree: Tree, options: T): Promise<GeneratorCallback | void> => {
    const callback = await prefixed(() => generator(tree, options));
    if (callback) return () => prefixed(callback);
  };
}
