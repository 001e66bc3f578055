import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../server/config.js';

const key = 'a'.repeat(64);

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

test('when nothing is set, then the embedded defaults apply', () => {
  const config = loadConfig({});
  assert.equal(config.port, 3000);
  assert.equal(config.databaseUrl, undefined);
  assert.equal(config.redisUrl, undefined);
  assert.equal(config.publicUrl, 'http://localhost:3000');
  assert.equal(config.bitrix24.oauthUrl, 'https://oauth.bitrix.info');
  assert.equal(config.logLevel, 'info');
  assert.equal(config.nodeEnv, 'development');
  assert.equal(config.shutdownTimeoutMs, 10_000);
  assert.ok(config.dataDir.endsWith('/data'));
});

test('when values are given, then they are parsed and trailing slashes dropped', () => {
  const config = loadConfig({
    PORT: '8080',
    PUBLIC_URL: 'https://lf.example.com/',
    DATABASE_URL: 'postgres://u@db:5432/lf',
    REDIS_URL: 'redis://cache:6379',
    ENCRYPTION_KEY: key,
    AMOCRM_BASE_URL: 'http://127.0.0.1:9000/',
  });
  assert.equal(config.port, 8080);
  assert.equal(config.publicUrl, 'https://lf.example.com');
  assert.equal(config.amocrm.baseUrl, 'http://127.0.0.1:9000');
  assert.equal(config.encryptionKey?.length, 32);
});

test('when the port is not a number, then the problem names PORT and the value', () => {
  const [problem] = problemsOf({ PORT: 'abc' });
  assert.match(problem ?? '', /"PORT" must be a number \(got "abc"\)/);
});

test('when several values are bad, then every problem is reported at once', () => {
  const problems = problemsOf({ PORT: '70000', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x', ENCRYPTION_KEY: key });
  assert.equal(problems.length, 3);
  assert.ok(problems.some((problem) => /"PORT" must be less than or equal to 65535/.test(problem)));
  assert.ok(problems.some((problem) => /"LOG_LEVEL" must be one of \[error, warn, info, http, debug\]/.test(problem)));
  assert.ok(problems.some((problem) => /"DATABASE_URL" must be a valid uri with a scheme matching the postgres\|postgresql pattern/.test(problem)));
});

test('when the encryption key is malformed, then the message says the format without echoing the secret', () => {
  const [problem] = problemsOf({ ENCRYPTION_KEY: 'short-secret-value' });
  assert.match(problem ?? '', /"ENCRYPTION_KEY" must be 32 bytes/);
  assert.doesNotMatch(problem ?? '', /short-secret-value/);
});

test('when production runs without an encryption key or a public URL, then both are refused', () => {
  const problems = problemsOf({ NODE_ENV: 'production' });
  assert.ok(problems.some((problem) => /"ENCRYPTION_KEY" is required/.test(problem)), problems.join('\n'));
  assert.ok(problems.some((problem) => /"PUBLIC_URL" is required/.test(problem)), problems.join('\n'));
  assert.match(problemsOf({ DATABASE_URL: 'postgres://db/lf' })[0] ?? '', /"ENCRYPTION_KEY" is required/);
});

test('when a CRM client id comes without its secret, then it is refused', () => {
  assert.match(problemsOf({ AMOCRM_CLIENT_ID: 'abc' })[0] ?? '', /AMOCRM_CLIENT_ID.*AMOCRM_CLIENT_SECRET/);
});

test('when a variable is blank, then its default applies', () => {
  assert.equal(loadConfig({ PORT: '', LOG_LEVEL: '  ' }).port, 3000);
});

test('when the admin token is too short, then it is refused', () => {
  assert.match(problemsOf({ ADMIN_TOKEN: 'short' })[0] ?? '', /"ADMIN_TOKEN" must be at least 16 characters/);
});

test('when a bad connection string holds a password, then the error shows it masked', () => {
  const [problem] = problemsOf({ DATABASE_URL: 'mysql://app:s3cr/et+x@db:5432/lf', ENCRYPTION_KEY: key });
  assert.match(problem ?? '', /\(got "mysql:\/\/app:\*\*\*@db:5432\/lf"\)/);
  assert.doesNotMatch(problem ?? '', /s3cr/);
});

test('when TRUST_PROXY is given, then booleans and hop counts become what Express expects', () => {
  assert.equal(loadConfig({}).trustProxy, 'loopback, linklocal, uniquelocal');
  assert.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true);
  assert.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
  assert.equal(loadConfig({ TRUST_PROXY: '10.0.0.0/8, loopback' }).trustProxy, '10.0.0.0/8, loopback');
});
