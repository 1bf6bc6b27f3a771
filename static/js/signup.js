/* Stay Updated: answer in place, without leaving the page.
   Without this script the form posts and redirects as usual. */
(function () {
  "use strict";

  var GENERIC = "Something went wrong. Please try again in a moment.";

  function answer(form, text, isError) {
    var status = form.querySelector(".signup-status");
    var email = form.querySelector("input[name=email]");
    status.textContent = text;
    status.classList.toggle("is-error", Boolean(isError));
    if (email) {
      if (isError) {
        email.setAttribute("aria-invalid", "true");
        email.setAttribute("aria-describedby", status.id);
      } else {
        email.removeAttribute("aria-invalid");
      }
    }
  }

  function submit(event) {
    var form = event.currentTarget;
    if (!window.fetch || !window.FormData) {
      return; // the ordinary POST and redirect
    }
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    answer(form, "Sending…", false);
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "omit", // the endpoint needs no cookie
      headers: { "Accept": "application/json" }
    })
      .then(function (response) {
        return response.json().then(
          function (data) { return data; },
          function () { return { ok: false, message: GENERIC }; }
        );
      })
      .then(function (data) {
        answer(form, data.message || GENERIC, !data.ok);
        if (data.ok) {
          form.reset();
        }
      })
      .catch(function () {
        answer(form, GENERIC, true);
      })
      .then(function () {
        button.disabled = false;
      });
  }

  function init() {
    var forms = document.querySelectorAll("form[data-inline-answer]");
    for (var i = 0; i < forms.length; i += 1) {
      if (!forms[i].hasAttribute("data-inline-bound")) {
        forms[i].setAttribute("data-inline-bound", "");
        forms[i].addEventListener("submit", submit);
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
