// Progressive enhancement only: fills the subscriber's time zone into the sign-up form, and shows the weekday choice
// only for a weekly digest (without JavaScript both stay as they are, and the form works the same).
document.querySelectorAll('input[data-fill="timezone"]').forEach(function (input) {
  try { input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || '' } catch (e) { /* keep the server default */ }
})

document.querySelectorAll('select[name="frequency"]').forEach(function (frequency) {
  var day = frequency.form && frequency.form.querySelector('select[name="weeklyDay"]')
  var label = day && day.closest('label')
  if (!label) return
  var sync = function () { label.hidden = frequency.value !== 'weekly' }
  frequency.addEventListener('change', sync)
  sync()
})
