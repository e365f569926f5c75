/** Load a `docker save` tarball given on stdin into the host's Docker Engine. */
export function dockerLoadCommand(): string[] {
  return ['docker', 'load'];
}
