// Security keys (WebAuthn, R-AUTH-1): enrolment in the cabinet and the sign-in second step.
// No inline script (CSP allows only files). The server sends the options as JSON with
// base64url-encoded binary fields; this file converts them for navigator.credentials and sends
// the authenticator's answer back the same way. Challenges live on the server, never here.
(function () {
  "use strict";

  function toBytes(value) {
    var b64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      var copy = { type: item.type, id: toBytes(item.id) };
      if (item.transports) { copy.transports = item.transports; }
      return copy;
    });
  }

  function creationOptions(options) {
    options.challenge = toBytes(options.challenge);
    options.user.id = toBytes(options.user.id);
    options.excludeCredentials = descriptors(options.excludeCredentials);
    return options;
  }

  function requestOptions(options) {
    options.challenge = toBytes(options.challenge);
    options.allowCredentials = descriptors(options.allowCredentials);
    return options;
  }

  // PublicKeyCredential in its JSON form (binary fields base64url), as the server expects it.
  function credentialJSON(credential, response) {
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: response
    };
  }

  function attestationJSON(credential) {
    var response = credential.response;
    return credentialJSON(credential, {
      clientDataJSON: toBase64url(response.clientDataJSON),
      attestationObject: toBase64url(response.attestationObject),
      transports: typeof response.getTransports === "function" ? response.getTransports() : []
    });
  }

  function assertionJSON(credential) {
    var response = credential.response;
    return credentialJSON(credential, {
      clientDataJSON: toBase64url(response.clientDataJSON),
      authenticatorData: toBase64url(response.authenticatorData),
      signature: toBase64url(response.signature),
      userHandle: response.userHandle ? toBase64url(response.userHandle) : undefined
    });
  }

  function post(box, url, body) {
    var token = box.querySelector("input[name=csrfmiddlewaretoken]");
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.value : "" },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    });
  }

  function setup(box) {
    var button = box.querySelector("[data-webauthn-start]");
    var status = box.querySelector(".webauthn-status");
    var mode = box.getAttribute("data-webauthn");
    var say = function (text, isError) {
      status.textContent = text || "";
      status.classList.toggle("error", !!isError);
    };
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say(box.getAttribute("data-msg-unsupported"), true);
      return;
    }
    var fail = function (data) {
      say((data && data.error) || box.getAttribute("data-msg-failed"), true);
      button.disabled = false;
      var restart = box.getAttribute("data-restart-url");
      if (data && data.restart && restart) {
        window.setTimeout(function () { window.location.assign(restart); }, 2500);
      }
    };
    button.disabled = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      say(box.getAttribute("data-msg-waiting"), false);
      post(box, box.getAttribute("data-options-url"), {}).then(function (answer) {
        if (!answer.ok) { throw answer.data; }
        var options = answer.data.publicKey;
        if (mode === "enrol") {
          return navigator.credentials.create({ publicKey: creationOptions(options) }).then(function (credential) {
            var name = box.querySelector("input[name=key_name]");
            return { credential: attestationJSON(credential), name: name ? name.value : "" };
          });
        }
        return navigator.credentials.get({ publicKey: requestOptions(options) }).then(function (credential) {
          return { credential: assertionJSON(credential) };
        });
      }, function (problem) { throw problem || {}; }).then(function (body) {
        return post(box, box.getAttribute("data-verify-url"), body);
      }).then(function (answer) {
        if (!answer.ok) { throw answer.data; }
        window.location.assign(answer.data.redirect);
      }).catch(function (problem) {
        if (problem && (problem.name === "NotAllowedError" || problem.name === "AbortError")) {
          fail({ error: box.getAttribute("data-msg-cancelled") });
        } else if (problem && problem.name === "InvalidStateError") {
          fail({ error: box.getAttribute("data-msg-duplicate") || box.getAttribute("data-msg-failed") });
        } else {
          fail(problem && problem.error ? problem : null);
        }
      });
    });
  }

  document.querySelectorAll("[data-webauthn]").forEach(setup);
})();
