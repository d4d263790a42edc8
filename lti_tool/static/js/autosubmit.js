// Submit forms marked data-autosubmit (deep-linking return, launch hand-offs) right away;
// the visible button stays as a fallback.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosubmit]");
  if (form) { form.submit(); }
})();
