// LTI Platform Storage (client-side postMessages): the post_message_forwarding frame.
// Answers lti.capabilities, lti.put_data and lti.get_data for registered tool origins only;
// values are kept per origin so one tool never reads another's state.
"use strict";
(function () {
  var allowed = [];
  try {
    allowed = JSON.parse(document.body.getAttribute("data-allowed-origins") || "[]");
  } catch (e) {
    allowed = [];
  }
  var memory = {};

  function storageKey(origin, key) {
    return "lti-storage\u0000" + origin + "\u0000" + key;
  }

  function put(origin, key, value) {
    try {
      window.sessionStorage.setItem(storageKey(origin, key), JSON.stringify(value));
    } catch (e) {
      memory[storageKey(origin, key)] = value;
    }
  }

  function get(origin, key) {
    var k = storageKey(origin, key);
    try {
      var raw = window.sessionStorage.getItem(k);
      if (raw !== null) {
        return { found: true, value: JSON.parse(raw) };
      }
    } catch (e) {
      // sessionStorage unavailable: fall through to memory.
    }
    if (Object.prototype.hasOwnProperty.call(memory, k)) {
      return { found: true, value: memory[k] };
    }
    return { found: false };
  }

  function capabilities() {
    return [
      { subject: "lti.capabilities" },
      { subject: "lti.put_data", frame: "post_message_forwarding" },
      { subject: "lti.get_data", frame: "post_message_forwarding" }
    ];
  }

  window.addEventListener("message", function (event) {
    var msg = event.data;
    if (!msg || typeof msg !== "object" || typeof msg.subject !== "string") {
      return;
    }
    if (allowed.indexOf(event.origin) === -1 || !event.source) {
      return; // Not a registered tool: say nothing, not even an error.
    }
    function reply(body) {
      body.message_id = msg.message_id;
      event.source.postMessage(body, event.origin);
    }
    function error(subject, code, message) {
      reply({ subject: subject, key: msg.key, error: { code: code, message: message } });
    }
    if (msg.subject === "lti.capabilities") {
      reply({ subject: "lti.capabilities.response", supported_messages: capabilities() });
    } else if (msg.subject === "lti.put_data") {
      if (typeof msg.key !== "string" || !msg.key || typeof msg.message_id === "undefined") {
        error("lti.put_data.response", "bad_request", "key and message_id are required");
        return;
      }
      put(event.origin, msg.key, msg.value);
      reply({ subject: "lti.put_data.response", key: msg.key, value: msg.value });
    } else if (msg.subject === "lti.get_data") {
      if (typeof msg.key !== "string" || !msg.key || typeof msg.message_id === "undefined") {
        error("lti.get_data.response", "bad_request", "key and message_id are required");
        return;
      }
      var found = get(event.origin, msg.key);
      if (!found.found) {
        error("lti.get_data.response", "bad_request", "no value stored for key " + msg.key);
        return;
      }
      reply({ subject: "lti.get_data.response", key: msg.key, value: found.value });
    } else if (msg.subject.indexOf("lti.") === 0 && msg.subject.slice(-9) !== ".response") {
      reply({
        subject: msg.subject + ".response",
        error: { code: "unsupported_subject", message: "unsupported subject " + msg.subject }
      });
    }
  });
})();
