// Types of scripts/package-vscode.mjs for the TypeScript tests that import it.
export declare class PackageError extends Error {}
export declare function packageExtension(options?: {
  outDir?: string;
  stageDir?: string;
  withoutServer?: boolean;
  serverEntry?: string;
  log?: (msg: string) => void;
}): Promise<{ vsixPath: string; stageDir: string; files: string[]; withServer: boolean }>;
