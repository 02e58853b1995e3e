// Tandem's small client-side behaviours. Loaded as a file: the CSP forbids inline scripts.
(function () {
  "use strict";
  // Surface htmx failures the user would otherwise not notice.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : "";
    var box = document.createElement("div");
    box.className = "alert alert-danger";
    box.setAttribute("role", "alert");
    box.textContent = "The request failed" + (status ? " (" + status + ")" : "") + ". Please try again.";
    var main = document.getElementById("main");
    if (main) { main.prepend(box); }
  });
})();
