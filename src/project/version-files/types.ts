export type VersionFileKind = 'package-json' | 'pyproject' | 'cargo' | 'python' | 'marker';

/** One place in a file that holds the version. */
export interface VersionLocation {
  /** Where in the file, e.g. "[project] version" or "packages[\"\"].version". */
  where: string;
  version: string;
}

/** How one kind of file holds a version: read every place, or write them all. Pure text in, text out. */
export interface VersionFormat {
  read(text: string, path: string): VersionLocation[];
  write(text: string, version: string, path: string): string;
}
