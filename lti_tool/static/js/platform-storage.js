// LTI Platform Storage (1EdTech client-side postMessages): bind a launch to this browser
// without third-party cookies. Login page: lti.put_data, then go to the LMS.
// Launch page: lti.get_data, then post the value back. The message is re-sent every
// 250 ms (the LMS's storage frame may still be loading); no answer within 4 s: continue
// without it (the server then treats the launch as bound by its one-time handle only).
(function () {
  "use strict";
  var TIMEOUT_MS = 4000;
  var RETRY_MS = 250;

  function storageFrame(name) {
    if (!window.parent || window.parent === window) { return null; }
    if (name === "_parent") { return window.parent; }
    try { return window.parent.frames[name] || null; } catch (e) { return null; }
  }

  function ask(target, origin, message, onAnswer) {
    var id = "pp-" + Math.random().toString(36).slice(2) + Date.now().toString(36);
    var finished = false;
    function finish(answer) {
      if (finished) { return; }
      finished = true;
      window.removeEventListener("message", listener);
      onAnswer(answer);
    }
    function listener(event) {
      if (event.origin !== origin || !event.data || event.data.message_id !== id) { return; }
      finish(event.data);
    }
    window.addEventListener("message", listener);
    message.message_id = id;
    function send() {
      if (finished) { return; }
      var frame = storageFrame(target);
      if (frame) {
        try { frame.postMessage(message, origin); } catch (e) { /* retried below */ }
      }
      window.setTimeout(send, RETRY_MS);
    }
    send();
    window.setTimeout(function () { finish(null); }, TIMEOUT_MS);
  }

  var login = document.getElementById("pp-storage");
  if (login) {
    var d = login.dataset;
    ask(d.target, d.origin, { subject: "lti.put_data", key: d.key, value: d.value }, function () {
      window.location.replace(d.authUrl);
    });
  }

  var form = document.getElementById("pp-storage-launch");
  if (form) {
    var f = form.dataset;
    ask(f.target, f.origin, { subject: "lti.get_data", key: f.key }, function (answer) {
      if (answer && answer.subject === "lti.get_data.response" && !answer.error && answer.value) {
        form.elements.pp_binding.value = answer.value;
      }
      form.submit();
    });
  }
})();
