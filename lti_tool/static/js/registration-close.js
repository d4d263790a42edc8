// Tells the LMS that LTI Dynamic Registration finished, so it closes the registration
// frame or popup (LTI DR 1.0 §3.6). External file: the CSP forbids inline handlers.
(function () {
  "use strict";
  function notifyPlatform() {
    var target = window.opener || window.parent;
    if (target && target !== window) {
      // "*": the tool cannot know the LMS origin here, and the message carries no secret.
      target.postMessage({ subject: "org.imsglobal.lti.close" }, "*");
    }
  }
  notifyPlatform();
  var button = document.getElementById("close-registration");
  if (button) {
    button.addEventListener("click", function () {
      notifyPlatform();
      if (window.opener) {
        window.close();
      }
    });
  }
})();
