/**
 * The only script of the sign-in pages: it runs the WebAuthn ceremony (WebAuthn L3 §5.1.3
 * create, §5.1.4 get) when the passkey form is submitted, then posts the credential's JSON form
 * (§5.1.8 / §5.1.9) in a hidden field of the same form. No fetch (the CSP has no connect-src),
 * nothing loaded from elsewhere; it is allowed by its hash, like the stylesheet.
 */
import { createHash } from 'node:crypto';

export const WEBAUTHN_SCRIPT = `(function () {
  var form = document.getElementById('passkey-form');
  if (!form || !window.PublicKeyCredential) {
    var unsupported = document.getElementById('passkey-unsupported');
    if (unsupported) unsupported.hidden = false;
    return;
  }
  var options = JSON.parse(form.getAttribute('data-options'));
  var ceremony = form.getAttribute('data-ceremony');
  var status = document.getElementById('passkey-status');
  function toBuffer(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer), bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  }
  function descriptors(list) {
    return (list || []).map(function (d) { return { type: 'public-key', id: toBuffer(d.id), transports: d.transports }; });
  }
  function run() {
    if (ceremony === 'create') {
      var pk = Object.assign({}, options, {
        challenge: toBuffer(options.challenge),
        user: Object.assign({}, options.user, { id: toBuffer(options.user.id) }),
        excludeCredentials: descriptors(options.excludeCredentials)
      });
      return navigator.credentials.create({ publicKey: pk }).then(function (c) {
        return {
          id: c.id, rawId: toBase64url(c.rawId), type: c.type,
          authenticatorAttachment: c.authenticatorAttachment || undefined,
          clientExtensionResults: c.getClientExtensionResults(),
          response: {
            clientDataJSON: toBase64url(c.response.clientDataJSON),
            attestationObject: toBase64url(c.response.attestationObject),
            transports: c.response.getTransports ? c.response.getTransports() : []
          }
        };
      });
    }
    var req = Object.assign({}, options, { challenge: toBuffer(options.challenge), allowCredentials: descriptors(options.allowCredentials) });
    return navigator.credentials.get({ publicKey: req }).then(function (c) {
      return {
        id: c.id, rawId: toBase64url(c.rawId), type: c.type,
        authenticatorAttachment: c.authenticatorAttachment || undefined,
        clientExtensionResults: c.getClientExtensionResults(),
        response: {
          clientDataJSON: toBase64url(c.response.clientDataJSON),
          authenticatorData: toBase64url(c.response.authenticatorData),
          signature: toBase64url(c.response.signature),
          userHandle: c.response.userHandle ? toBase64url(c.response.userHandle) : undefined
        }
      };
    });
  }
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    status.textContent = 'Follow the instructions of your browser or device\\u2026';
    run().then(function (credential) {
      form.elements.namedItem('credential').value = JSON.stringify(credential);
      form.submit();
    }, function (err) {
      status.textContent = 'The passkey was not used (' + (err && err.name ? err.name : 'error') + '). You can try again.';
    });
  });
})();`;

/** CSP hash source for the script (CSP Level 3 §8.4). */
export const WEBAUTHN_SCRIPT_HASH_SOURCE = `'sha256-${createHash('sha256').update(WEBAUTHN_SCRIPT).digest('base64')}'`;
