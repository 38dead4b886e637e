// Talks to NCALayer (the NCA RK desktop application) over its local WebSocket and signs the
// server-provided bytes as CMS (CAdES, detached). The server verifies everything; this module
// only carries bytes. Messages come from data-* attributes rendered in the page's language.

const NCALAYER_URL = "wss://127.0.0.1:13579";
const CONNECT_TIMEOUT_MS = 5000;

export class NCALayerError extends Error {
  constructor(message, { notRunning = false, cancelled = false } = {}) {
    super(message);
    this.name = "NCALayerError";
    this.notRunning = notRunning;
    this.cancelled = cancelled;
  }
}

export class NCALayerClient {
  constructor(url = NCALAYER_URL) {
    this.url = url;
    this.socket = null;
    this.pending = null;
  }

  connect() {
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (error) => { if (!settled) { settled = true; reject(error); } };
      let socket;
      try {
        socket = new WebSocket(this.url);
      } catch (e) {
        fail(new NCALayerError(String(e), { notRunning: true }));
        return;
      }
      const timer = setTimeout(() => { fail(new NCALayerError("timeout", { notRunning: true })); socket.close(); }, CONNECT_TIMEOUT_MS);
      socket.onerror = () => { clearTimeout(timer); fail(new NCALayerError("connection failed", { notRunning: true })); };
      socket.onclose = () => {
        clearTimeout(timer);
        fail(new NCALayerError("closed", { notRunning: true }));
        if (this.pending) { this.pending.reject(new NCALayerError("closed", { notRunning: true })); this.pending = null; }
        this.socket = null;
      };
      socket.onmessage = (event) => {
        let data;
        try { data = JSON.parse(event.data); } catch (e) { data = {}; }
        if (!settled) {
          // The first message NCALayer sends announces its version.
          settled = true;
          clearTimeout(timer);
          this.socket = socket;
          resolve((data.result && data.result.version) || "");
          return;
        }
        if (!this.pending) return;
        const { resolve: done, reject: failed } = this.pending;
        this.pending = null;
        if (String(data.code) === "200") {
          done(data.responseObject);
        } else {
          const message = data.message || data.code || "error";
          failed(new NCALayerError(message, { cancelled: /action\.canceled|cancel/i.test(String(message)) }));
        }
      };
    });
  }

  call(method, args = []) {
    if (!this.socket) return Promise.reject(new NCALayerError("not connected", { notRunning: true }));
    if (this.pending) return Promise.reject(new NCALayerError("busy"));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.send(JSON.stringify({ module: "kz.gov.pki.knca.commonUtils", method, args }));
    });
  }

  // Storage types available now (e.g. AKKaztokenStore, AKKZIDCardStore); PKCS12 files always work.
  getActiveTokens() { return this.call("getActiveTokens"); }

  getKeyInfo(storage) { return this.call("getKeyInfo", [storage]); }

  // CMS over base64 data, signing key ("SIGNATURE"), detached (attach=false).
  createCAdESFromBase64(storage, base64Data, attach = false) {
    return this.call("createCAdESFromBase64", [storage, "SIGNATURE", base64Data, attach]);
  }
}

function setup(root) {
  const status = root.querySelector("#eds-status");
  const storage = root.querySelector("#eds-storage");
  const connectButton = root.querySelector("#eds-connect");
  const signButton = root.querySelector("#eds-do-sign");
  const form = root.querySelector("#eds-form");
  const cmsField = root.querySelector("#eds-cms");
  const msg = (name) => root.dataset[name] || name;
  const say = (text, isError = false) => {
    status.textContent = text;
    status.classList.toggle("error", isError);
  };
  const client = new NCALayerClient();

  connectButton.addEventListener("click", async () => {
    say(msg("msgConnecting"));
    try {
      await client.connect();
      const tokens = await client.getActiveTokens();
      for (const token of tokens || []) {
        if (![...storage.options].some((o) => o.value === token)) {
          storage.add(new Option(token, token));
        }
      }
      storage.disabled = false;
      signButton.disabled = false;
      say(msg("msgConnected"));
    } catch (error) {
      say(error.notRunning ? msg("msgNotRunning") : `${msg("msgFailed")} ${error.message}`, true);
    }
  });

  signButton.addEventListener("click", async () => {
    say(msg("msgSigning"));
    signButton.disabled = true;
    try {
      const cms = await client.createCAdESFromBase64(storage.value, root.dataset.payload, false);
      cmsField.value = cms;
      say(msg("msgSending"));
      form.submit();
    } catch (error) {
      signButton.disabled = false;
      if (error.cancelled) say(msg("msgCancelled"), true);
      else if (error.notRunning) say(msg("msgNotRunning"), true);
      else say(`${msg("msgFailed")} ${error.message}`, true);
    }
  });
}

const root = document.getElementById("eds-sign");
if (root) setup(root);
