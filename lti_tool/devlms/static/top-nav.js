// The deep-linking response arrives inside the tool's iframe: take the whole page back to the course.
"use strict";
(function () {
  var url = document.body.getAttribute("data-top-url");
  if (url) {
    window.top.location.assign(url);
  }
})();
