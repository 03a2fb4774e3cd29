// Test-only service worker: exposes native messaging calls for the test to evaluate.
const HOST = "fr.vitale_bridge.host";

// One message, one host process (the browser starts a new host for each call).
globalThis.sendOnce = (message) => chrome.runtime.sendNativeMessage(HOST, message);

// A long-lived port: post every message, collect `count` incoming messages, then disconnect.
globalThis.overPort = (messages, count) =>
  new Promise((resolve, reject) => {
    const port = chrome.runtime.connectNative(HOST);
    const received = [];
    const timer = setTimeout(() => reject(new Error("timeout; got " + JSON.stringify(received))), 15000);
    port.onMessage.addListener((m) => {
      received.push(m);
      if (received.length === count) {
        clearTimeout(timer);
        port.disconnect();
        resolve(received);
      }
    });
    port.onDisconnect.addListener(() => {
      clearTimeout(timer);
      const error = chrome.runtime.lastError;
      if (received.length < count) reject(new Error("disconnected: " + (error ? error.message : "?")));
    });
    for (const m of messages) port.postMessage(m);
  });
