// Submit the login/launch form at once; the visible button stays as a fallback.
"use strict";
(function () {
  var form = document.getElementById("autopost");
  if (form) {
    form.submit();
  }
})();
