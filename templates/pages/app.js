// Progressive enhancement only: fills the subscriber's time zone into the sign-up form.
document.querySelectorAll('input[data-fill="timezone"]').forEach(function (input) {
  try { input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || '' } catch (e) { /* keep the server default */ }
})
