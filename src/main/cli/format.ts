import type { HostCheck, HostFacts, HostView, ImportCandidate } from '../../shared/contract';

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '))
    .join('\n');
}

export function hostsTable(hosts: HostView[]): string {
  if (hosts.length === 0)
    return 'No hosts yet. Add one with: truffles host add NAME --address A --user U --key FILE';
  return table([
    ['NAME', 'KIND', 'ADDRESS', 'USER', 'STATUS', 'DOCKER', 'FINGERPRINT'],
    ...hosts.map((h) => [
      h.name,
      h.kind,
      h.kind === 'local' ? '(this machine)' : `${h.address}:${h.port}`,
      h.user,
      h.lastCheck?.status ?? 'unknown',
      h.lastCheck?.facts?.docker?.version ?? '-',
      h.fingerprint ?? '-',
    ]),
  ]);
}

/** A host's facts, one indented line each. */
export function factsLines(f: HostFacts): string[] {
  return [
    `  OS        ${f.os.name}`,
    `  kernel    ${f.kernel} (${f.arch})`,
    `  CPU       ${f.cpus} cores, load ${f.load.map((l) => l.toFixed(2)).join(' ')}`,
    `  memory    ${bytes(f.memoryBytes - f.memoryAvailableBytes)} used of ${bytes(f.memoryBytes)}`,
    ...f.disks.map(
      (d) =>
        `  disk      ${d.mount}: ${bytes(d.usedBytes)} used of ${bytes(d.sizeBytes)} (${d.sizeBytes ? Math.round((100 * d.usedBytes) / d.sizeBytes) : 0} %)`,
    ),
    `  docker    ${f.docker ? `${f.docker.version} (API ${f.docker.apiVersion})` : 'not available'}`,
    `  compose   ${f.compose ? `${f.compose.version}${f.compose.v2 ? '' : ' (v1 — v2 required)'}` : 'not installed'}`,
  ];
}

export function checkText(c: HostCheck): string {
  const lines: string[] = [`${c.host}: ${c.status}${c.latencyMs !== null ? ` (${c.latencyMs} ms)` : ''}`];
  if (c.error) {
    lines.push(`  ${c.error.message.replace(/\n/g, '\n  ')}`);
    if (c.error.hint) lines.push(`  → ${c.error.hint}`);
  }
  if (c.facts) lines.push(...factsLines(c.facts));
  for (const p of c.problems)
    lines.push(`  ${p.severity === 'error' ? '✗' : '!'} ${p.message}\n    fix: ${p.fix}`);
  return lines.join('\n');
}

/** What an ssh-config import will do, one host per row, notes below. */
export function importTable(cands: ImportCandidate[]): string {
  if (cands.length === 0) return 'The config names no concrete hosts (only wildcard blocks or none).';
  const rows = [
    ['ALIAS', 'NAME', 'ADDRESS', 'USER', 'AUTH', 'JUMP', 'KEY', 'ACTION'],
    ...cands.map((c) => [
      c.alias,
      c.name,
      `${c.address}:${c.port}`,
      c.user,
      c.authKind === 'keyFile' ? (c.keyFile ?? 'key') : 'agent',
      c.jump.length ? c.jump.join('→') : '-',
      c.knownKey ? c.knownKey.fingerprint : 'to confirm',
      c.action,
    ]),
  ];
  const notes = cands.filter((c) => c.note).map((c) => `  ${c.alias}: ${c.note ?? ''}`);
  return table(rows) + (notes.length ? `\n${notes.join('\n')}` : '');
}
