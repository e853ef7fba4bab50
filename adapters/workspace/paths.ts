/**
 * Confinement of tool paths to a worktree. A path the model gives must be
 * relative, free of `..`, outside `.git`, and reach its target without passing
 * through a symbolic link (nor end at a hard-linked file); the real path of what exists of it must lie inside
 * the worktree's real path. Anything else is refused with a sentence the model
 * can act on.
 *
 * @module
 */

/** A path inside the worktree, checked. */
export interface InsidePath {
  ok: true;
  /** Relative to the root, `/`-separated; `""` for the root itself. */
  rel: string;
  /** Absolute, under the root's real path. */
  abs: string;
  /** What is there now: a file, a directory, or nothing. */
  kind: "file" | "directory" | "missing";
}

/** A refused path, with the reason for the model. */
export interface RefusedPath {
  ok: false;
  error: string;
}

/** The root of a worktree, resolved to its real path. */
export class WorktreeRoot {
  private constructor(readonly real: string) {}

  /** Opens a root; it must be an existing directory. */
  static async open(root: string): Promise<WorktreeRoot> {
    const real = await Deno.realPath(root);
    const info = await Deno.stat(real);
    if (!info.isDirectory) throw new Error(`worktree root is not a directory: ${root}`);
    return new WorktreeRoot(real.replace(/\/+$/, "") || "/");
  }

  /** The absolute path of a checked relative path. */
  absolute(rel: string): string {
    return rel ? `${this.real}/${rel}` : this.real;
  }

  /**
   * Checks a path the model gave. `allowRoot`: an empty path or `.` means the
   * root (listing and searching), otherwise a path is required.
   */
  async resolve(input: unknown, allowRoot = false): Promise<InsidePath | RefusedPath> {
    if (input === undefined || input === null) {
      return allowRoot ? this.#check([]) : refuse("`path` is required");
    }
    if (typeof input !== "string") return refuse("`path` must be a string");
    const path = input.trim();
    if (path.includes("\0")) return refuse("the path contains a NUL character");
    if (path.includes("\\")) return refuse(`"${path}": use forward slashes in paths`);
    if (path.startsWith("/") || path.startsWith("~") || /^[A-Za-z]:/.test(path)) {
      return refuse(
        `"${path}" is absolute; give a path relative to the repository root, like "src/app.ts"`,
      );
    }
    const segments = path.split("/").filter((s) => s !== "" && s !== ".");
    if (segments.includes("..")) {
      return refuse(`"${path}" contains "..": paths must stay inside the repository`);
    }
    if (segments.some((s) => s.toLowerCase() === ".git")) {
      return refuse(`"${path}" is inside .git, which the tools do not touch`);
    }
    if (segments.length === 0 && !allowRoot) return refuse("`path` must name a file");
    return await this.#check(segments);
  }

  async #check(segments: string[]): Promise<InsidePath | RefusedPath> {
    let current = this.real;
    let kind: InsidePath["kind"] = "directory";
    let existing = this.real;
    for (let i = 0; i < segments.length; i++) {
      const next = `${current}/${segments[i]}`;
      const shown = segments.slice(0, i + 1).join("/");
      let info: Deno.FileInfo;
      try {
        info = await Deno.lstat(next);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) {
          kind = "missing";
          break;
        }
        if (error instanceof Deno.errors.NotADirectory) {
          return refuse(`"${segments.slice(0, i).join("/")}" is a file, not a directory`);
        }
        throw error;
      }
      if (info.isSymlink) {
        return refuse(`"${shown}" is a symbolic link; the tools do not follow symlinks`);
      }
      if (i < segments.length - 1 && !info.isDirectory) {
        return refuse(`"${shown}" is a file, not a directory`);
      }
      if (info.isFile && (info.nlink ?? 1) > 1) {
        // A hard link may share its content with a file outside the worktree.
        return refuse(`"${shown}" has several hard links; the tools do not touch it`);
      }
      kind = info.isDirectory ? "directory" : "file";
      current = next;
      existing = next;
    }
    const real = await Deno.realPath(existing);
    if (real !== this.real && !real.startsWith(`${this.real}/`)) {
      return refuse(`"${segments.join("/")}" resolves outside the repository`);
    }
    const rel = segments.join("/");
    return { ok: true, rel, abs: this.absolute(rel), kind };
  }
}

function refuse(error: string): RefusedPath {
  return { ok: false, error };
}

/** Directories a walk of the repository skips: dependencies, build output, caches. */
export const SKIP_DIRS: ReadonlySet<string> = new Set([
  ".git",
  "node_modules",
  "vendor",
  "dist",
  "build",
  ".venv",
  "venv",
  "target",
  "__pycache__",
  ".next",
  ".cache",
  "coverage",
]);
