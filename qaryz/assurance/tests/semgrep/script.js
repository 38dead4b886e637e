// Known-bad and known-good lines for the JavaScript rules; never served.
function render(el, data, msg) {
  // ruleid: js-html-from-string
  el.innerHTML = data;
  // ruleid: js-html-from-string
  el.outerHTML += '<b>' + data + '</b>';
  // ruleid: js-html-from-string
  el.insertAdjacentHTML('beforeend', data);
  // ok: js-html-from-string
  el.innerHTML = '';
  // ok: js-html-from-string
  el.textContent = data;
  // ok: js-html-from-string
  if (el.innerHTML === '') { return; }
  // ruleid: js-code-from-string
  eval(data);
  // ruleid: js-code-from-string
  const f = new Function('a', data);
  // ruleid: js-code-from-string
  setTimeout('go()', 10);
  // ruleid: js-code-from-string
  setInterval('tick(' + data + ')', 10);
  // ok: js-code-from-string
  setTimeout(() => f(1), 10);
  // ok: js-code-from-string
  data.evaluate(msg);
  // ruleid: js-document-write
  document.write(data);
  // ok: js-document-write
  document.title = data;
  // ruleid: js-browser-storage
  localStorage.setItem('token', data);
  // ruleid: js-browser-storage
  window.sessionStorage.clear();
  // ok: js-browser-storage
  document.cookie.toString();
  // ruleid: js-postmessage-any-origin
  window.parent.postMessage(msg, '*');
  // ok: js-postmessage-any-origin
  window.parent.postMessage(msg, 'https://mfo.example.kz');
}
