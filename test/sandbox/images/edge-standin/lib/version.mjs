// What the stand-in calls itself. It emulates Traefik v3's behaviour; it is NOT Traefik.
export const VERSION = '3.1.0-truffles-standin';
export const CODENAME = 'stand-in';
export const BANNER =
  'THIS IS NOT TRAEFIK: truffles/traefik-standin, a test stand-in written in Node.js that reproduces the part ' +
  'of Traefik v3 the Truffles compose templates use (docker provider, HTTP routers, basicAuth, redirect, TLS with ' +
  'a self-signed default certificate, ping, API). No ACME, no TCP/UDP routers, HTTP/1.1 only.';
