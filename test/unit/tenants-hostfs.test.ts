import { describe, expect, it } from 'vitest';
import type { HostTransport } from '../../src/main/core/hosts/transport';
import { READ_MISSING_EXIT } from '../../src/main/core/tenants/commands';
import { readHostFile } from '../../src/main/core/tenants/hostfs';

/** A transport whose one exec answers as given (readHostFile runs exactly one). */
function answering(r: {
  code: number;
  stdout: string;
  stderr?: string;
  stdoutTruncated?: boolean;
}): HostTransport {
  return { exec: async () => ({ stderr: '', ...r }) } as unknown as HostTransport;
}

describe('readHostFile', () => {
  it('hands on a whole file, and null for a missing one', async () => {
    expect(await readHostFile(answering({ code: 0, stdout: '{"a":1}\n' }), '/x/tenant.json')).toBe(
      '{"a":1}\n',
    );
    expect(await readHostFile(answering({ code: READ_MISSING_EXIT, stdout: '' }), '/x/none')).toBeNull();
  });

  it('never hands on a file cut short by the exec output limit as if it were whole', async () => {
    await expect(
      readHostFile(
        answering({ code: 0, stdout: 'x'.repeat(100), stdoutTruncated: true }),
        '/opt/t/audit/trail.jsonl',
      ),
    ).rejects.toMatchObject({
      code: 'host.read-too-large',
      message: expect.stringContaining('/opt/t/audit/trail.jsonl on the host is larger than the 8 MiB'),
    });
  });
});
