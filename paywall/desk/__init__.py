"""The revenue desk's own reads and writes, apart from the funnel (which `paywall.services.analytics` owns):
`selectors` (paying subscribers and monthly recurring revenue by plan, the meter distribution), `usage` (the nightly
close of the meter distribution), `charts` (the daily chart's geometry, drawn as inline SVG by the admin page) and
`seed` (a year of synthetic aggregates for benchmarks). The page itself is an admin edge: `paywall/admin_desk.py`."""
