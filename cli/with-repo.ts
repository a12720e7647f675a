/** Opening a repo for one command and closing it afterwards. */
import { Repo } from '../src/index.js';

export async function withRepo<T>(
  dir: string,
  readOnly: boolean,
  fn: (repo: Repo) => Promise<T> | T,
): Promise<T> {
  const repo = await Repo.open(dir, { readOnly });
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}
