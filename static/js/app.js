/* Small progressive enhancements; every page works without this file. */
(function () {
  "use strict";
  function focusErrors(root) {
    var summary = (root || document).querySelector("#error-summary");
    if (summary) { summary.focus(); }
  }
  document.addEventListener("DOMContentLoaded", function () { focusErrors(document); });
  document.addEventListener("htmx:afterSwap", function (event) { focusErrors(event.detail.target); });
})();
