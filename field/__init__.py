"""The grid officers' field app (/field/): Today, patrol reports, visits door to door and patrol tracks,
made for a phone and usable offline (a progressive web app). Whistles it files and on-site checks it
answers go through ``issues.services`` like any other; this app holds the visits, the patrols and the pages."""
