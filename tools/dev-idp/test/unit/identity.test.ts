import { claimsFor, isValidUsername, subjectFor } from '../../src/identity.js';
import { contentSecurityPolicy, escapeHtml, formTargetsOf, signInPage } from '../../src/pages.js';

test('usernames: 1..64 of letters, digits, dot, underscore, hyphen', () => {
  for (const ok of ['a', 'alice', 'Bob.Smith_2-x', 'z'.repeat(64)]) expect(isValidUsername(ok)).toBe(true);
  for (const bad of ['', 'z'.repeat(65), 'a b', 'a@b', 'élodie', 'a\nb', '<x>', 'a/b']) expect(isValidUsername(bad)).toBe(false);
});

test('the subject is derived from the username alone: stable, opaque, distinct', () => {
  expect(subjectFor('alice')).toBe(subjectFor('alice'));
  expect(subjectFor('alice')).not.toBe(subjectFor('Alice'));
  expect(subjectFor('alice')).toMatch(/^dev-[A-Za-z0-9_-]{32}$/);
  expect(claimsFor('alice')).toEqual({ sub: subjectFor('alice'), name: 'alice', preferred_username: 'alice', email: 'alice@dev.local', email_verified: true });
});

test('pages escape what they show; the CSP names the redirect origins for the form post', () => {
  expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  const html = signInPage({ action: '/interaction/u1/login', clientId: '<c>', username: '"><script>', error: '<b>' });
  expect(html).not.toMatch(/<script>|<b>|<c>/);
  expect(formTargetsOf(['http://127.0.0.1:3000/cb', 'http://127.0.0.1:3000/other', 'https://app.example/cb', 'com.example.app:/cb']))
    .toEqual(['http://127.0.0.1:3000', 'https://app.example', 'com.example.app:']);
  expect(contentSecurityPolicy(['http://127.0.0.1:3000'])).toContain("form-action 'self' http://127.0.0.1:3000");
});
