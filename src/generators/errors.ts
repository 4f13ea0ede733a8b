import type { Tree } from '@nx/devkit';
import { PexError } from '../core/common';

/** Nx prints a generator's error message as its one line; ours start with `pex:` like the executors' do. */
export function withErrorPrefix<T>(generator: (tree: Tree, options: T) => void | Promise<void>) {
  return async (tree: Tree, options: T): Promise<void> => {
    try {
      await generator(tree, options);
    } catch (e) {
      if (e instanceof PexError) throw new PexError(`pex: ${e.message}`);
      throw e;
    }
  };
}
