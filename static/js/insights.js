/* Reader insights: one page view, sent once, with no cookie and nothing stored in the browser.
   What is sent: this page's path and query (for utm_source/utm_medium) and the referring page's
   origin (never its path); the server keeps only its domain. Nothing is sent when the browser asks
   not to be tracked (Global Privacy Control or Do Not Track); the server checks that too. */
(function () {
  "use strict";

  var script = document.currentScript;
  var endpoint = script && script.getAttribute("data-endpoint");
  if (!endpoint || !navigator.sendBeacon || !window.URLSearchParams) {
    return;
  }
  if (navigator.globalPrivacyControl === true || navigator.doNotTrack === "1") {
    return;
  }

  function referrerSite() {
    try {
      var url = new URL(document.referrer);
      return url.hostname === location.hostname ? "" : url.hostname.replace(/^www\./, "");
    } catch (error) {
      return "";
    }
  }

  // A subscription made on this page records the site that sent the reader here (domain only).
  function markSignupForms() {
    var site = referrerSite();
    if (!site) {
      return;
    }
    var forms = document.querySelectorAll("form.signup-form");
    for (var i = 0; i < forms.length; i += 1) {
      if (!forms[i].querySelector("input[name=referrer_site]")) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = "referrer_site";
        input.value = site;
        forms[i].appendChild(input);
      }
    }
  }

  function referrerOrigin() {
    try {
      var url = new URL(document.referrer);
      return url.protocol + "//" + url.host;
    } catch (error) {
      return "";
    }
  }

  function send() {
    var data = new URLSearchParams();
    data.set("u", location.pathname + location.search);
    data.set("r", referrerOrigin());
    navigator.sendBeacon(endpoint, data);
  }

  markSignupForms();
  if (document.prerendering) {
    document.addEventListener("prerenderingchange", send, { once: true });
  } else {
    send();
  }
})();
