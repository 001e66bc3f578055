/**
 * CRM tokens at rest: AES-256-GCM with ENCRYPTION_KEY. A sealed value is
 * `v1.<base64url(iv 12 bytes | tag 16 bytes | ciphertext)>`; the version prefix lets a future key
 * rotation tell old values from new. Tampering or a wrong key makes `open` throw, never return junk.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const VERSION = 'v1';

export class TokenCipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('The encryption key must be 32 bytes');
  }

  /** A separate 32-byte key for another purpose (e.g. signing sessions), derived with HKDF so the sealing key itself is never reused. */
  deriveKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), `longfunnel:${purpose}`, 32));
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url')}`;
  }

  open(sealed: string): string {
    const [version, payload] = sealed.split('.', 2);
    if (version !== VERSION || !payload) throw new Error('Not a sealed value of this version');
    const bytes = Buffer.from(payload, 'base64url');
    if (bytes.length < 28) throw new Error('Sealed value too short');
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('Sealed value cannot be opened: wrong ENCRYPTION_KEY or tampered data');
    }
  }
}

export interface EncryptionKeySource {
  key: Buffer;
  /** Where it came from, for the start-up log (never the key itself). */
  origin: 'ENCRYPTION_KEY' | 'generated' | 'key file';
  keyFile?: string;
}

/**
 * ENCRYPTION_KEY when set. Otherwise (allowed only on the embedded database outside production,
 * see config.ts) a key kept next to the data it protects, in DATA_DIR/encryption.key (mode 0600),
 * made on first start: the embedded setup needs no configuration, and the file is backed up with
 * the data directory.
 */
export function resolveEncryptionKey(configured: Buffer | undefined, dataDir: string): EncryptionKeySource {
  if (configured) return { key: configured, origin: 'ENCRYPTION_KEY' };
  const keyFile = path.join(dataDir, 'encryption.key');
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(keyFile, randomBytes(32).toString('hex'), { flag: 'wx', mode: 0o600 });
    return { key: readKeyFile(keyFile), origin: 'generated', keyFile };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { key: readKeyFile(keyFile), origin: 'key file', keyFile };
  }
}

function readKeyFile(keyFile: string): Buffer {
  const hex = fs.readFileSync(keyFile, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new Error(`${keyFile} does not hold a 64-hex-character key; restore it from a backup`);
  return Buffer.from(hex, 'hex');
}
