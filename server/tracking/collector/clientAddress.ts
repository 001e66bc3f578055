/**
 * The key a client address is rate-limited under. IPv4 addresses as they are; IPv6 by their /64
 * network, since one subscriber usually holds a whole /64 and could rotate addresses inside it.
 */
import net from 'node:net';

function expandIpv6(address: string): string[] {
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const missing = 8 - left.length - right.length;
  return [...left, ...Array.from({ length: Math.max(missing, 0) }, () => '0'), ...right];
}

export function rateLimitKey(address: string | undefined): string {
  if (!address) return 'unknown';
  // Most clients are IPv4: no colon, so neither regular expression below (net.isIPv6's is long) runs.
  if (!address.includes(':')) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (net.isIPv6(address)) {
    const groups = expandIpv6(address.split('%')[0] ?? address).map((group) => group.toLowerCase().replace(/^0+(?=.)/, ''));
    return `${groups.slice(0, 4).join(':')}::/64`;
  }
  return address;
}
