// The course page is the tool frame's parent: tools ask it for lti.capabilities first,
// and it tells them which frame (post_message_forwarding) stores their data.
"use strict";
(function () {
  var allowed = [];
  try {
    allowed = JSON.parse(document.body.getAttribute("data-allowed-origins") || "[]");
  } catch (e) {
    allowed = [];
  }
  window.addEventListener("message", function (event) {
    var msg = event.data;
    if (!msg || typeof msg !== "object" || msg.subject !== "lti.capabilities") {
      return;
    }
    if (allowed.indexOf(event.origin) === -1 || !event.source) {
      return;
    }
    event.source.postMessage(
      {
        subject: "lti.capabilities.response",
        message_id: msg.message_id,
        supported_messages: [
          { subject: "lti.capabilities" },
          { subject: "lti.put_data", frame: "post_message_forwarding" },
          { subject: "lti.get_data", frame: "post_message_forwarding" }
        ]
      },
      event.origin
    );
  });
})();
