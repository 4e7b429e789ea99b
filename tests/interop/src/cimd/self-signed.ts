/**
 * A throwaway TLS certificate for 127.0.0.1, made with the openssl command line (Node has no API
 * to create certificates). Client ID Metadata Document URLs must be https (CIMD §3, and the MCP
 * SDK refuses any other clientMetadataUrl), so the loopback document host needs one; the
 * authorization server process is told to trust it through NODE_EXTRA_CA_CERTS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SelfSignedCertificate {
  certPath: string;
  cert: string;
  key: string;
  cleanup(): void;
}

export function selfSignedLoopbackCertificate(): SelfSignedCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'mandate-interop-tls-'));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      { stdio: 'pipe' },
    );
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Creating a loopback TLS certificate needs the openssl command (Debian package openssl): ${(err as Error).message}`);
  }
  return { certPath, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
