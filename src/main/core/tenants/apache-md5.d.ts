declare module 'apache-md5' {
  /** Apache's `$apr1$` MD5 crypt (htpasswd -m); with a stored hash as salt it re-hashes for comparison. */
  function md5(password: string, salt?: string): string;
  export default md5;
}
