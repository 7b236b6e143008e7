import { readdirSync } from 'node:fs';

/** The names of the directories directly in `dir`, sorted; none when `dir` is missing or unreadable. */
export function subdirectories(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}
