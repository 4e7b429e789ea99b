/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP) for tests of outbound name resolution:
 * it answers A and AAAA questions from a table (RFC 1035 §4.1 message format), NODATA for a
 * known name without a record of the asked type, NXDOMAIN for unknown names. `silent` answers
 * nothing at all, the way a deliberately slow authoritative server behaves.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import type { AddressInfo } from 'node:net';

const TYPE_A = 1;
const TYPE_AAAA = 28;

export interface DnsServer {
  /** 127.0.0.1:<port>, for Resolver.setServers */
  server: string;
  /** Questions received, as `name TYPE`. */
  questions: string[];
  close(): Promise<void>;
}

export async function startDnsServer(records: Record<string, string[]>, options: { silent?: boolean } = {}): Promise<DnsServer> {
  const socket: Socket = createSocket('udp4');
  const questions: string[] = [];
  socket.on('message', (query, peer) => {
    const question = parseQuestion(query);
    if (!question) return;
    questions.push(`${question.name} ${question.type === TYPE_A ? 'A' : question.type === TYPE_AAAA ? 'AAAA' : question.type}`);
    if (options.silent) return;
    const known = records[question.name.toLowerCase()];
    const answers = (known ?? []).filter((a) => (question.type === TYPE_A ? isIPv4(a) : question.type === TYPE_AAAA && !isIPv4(a)));
    socket.send(answer(query, question.end, known ? 0 : 3, question.type, answers), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address() as AddressInfo;
  return { server: `127.0.0.1:${port}`, questions, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}

function parseQuestion(query: Buffer): { name: string; type: number; end: number } | undefined {
  const labels: string[] = [];
  let at = 12;
  while (at < query.length && query[at] !== 0) {
    const length = query[at]!;
    labels.push(query.subarray(at + 1, at + 1 + length).toString('ascii'));
    at += 1 + length;
  }
  if (at + 5 > query.length) return undefined;
  return { name: labels.join('.'), type: query.readUInt16BE(at + 1), end: at + 5 };
}

function answer(query: Buffer, questionEnd: number, rcode: number, type: number, addresses: string[]): Buffer {
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // the query's id
  header.writeUInt16BE(0x8400 | rcode, 2); // QR, AA
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addresses.length, 6);
  const records = addresses.map((address) => {
    const data = type === TYPE_A ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
    const record = Buffer.alloc(12);
    record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    record.writeUInt16BE(type, 2);
    record.writeUInt16BE(1, 4); // IN
    record.writeUInt32BE(60, 6);
    record.writeUInt16BE(data.length, 10);
    return Buffer.concat([record, data]);
  });
  return Buffer.concat([header, query.subarray(12, questionEnd), ...records]);
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  return bytes;
}
