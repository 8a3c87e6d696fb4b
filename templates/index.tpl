{{%AUTOESCAPE context="HTML"}}
{{! Index page: recordings per camera, grouped by month, newest first.
    Dictionary: see docs/frontend.md. Every URL comes complete from the C++ side;
    BASE_URL only prefixes the index link and the static assets.
    Text that needs a space between two tags stays on one line, so the page reads
    the same with ctemplate's STRIP_WHITESPACE. }}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{{TITLE}}</title>
<link rel="icon" href="{{BASE_URL}}assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{{BASE_URL}}assets/style.css">
</head>
<body>
<header class="site">
<h1><a href="{{BASE_URL}}">{{TITLE}}</a></h1>
<p class="meta">Generated {{GENERATED_AT}}</p>
{{#S3_STATUS}}<p class="meta s3 s3-{{S3_STATE}}">{{S3_TEXT}}</p>{{/S3_STATUS}}
</header>
<main>
{{#NO_CAMERAS}}
<p class="empty">No cameras are configured.</p>
{{/NO_CAMERAS}}
{{#CAMERA}}
<section class="camera" data-camera="{{CAMERA_NAME}}">
<h2>{{CAMERA_NAME}}</h2>
{{#CAMERA_STATUS}}
<p class="camera-status"><span class="state camera-{{CAM_STATE}}">{{CAM_STATE}}</span> since {{CAM_SINCE}}{{#CAM_RECORDING}}, {{CAM_BITRATE}}, {{CAM_SEGMENTS_TODAY}} segments today{{/CAM_RECORDING}}{{#CAM_HAS_ERROR}} <span class="camera-error">{{CAM_ERROR}}</span>{{/CAM_HAS_ERROR}}</p>
{{/CAMERA_STATUS}}
<p class="meta">{{DAY_COUNT}} {{DAY_WORD}}, {{TOTAL_SIZE}}, time zone {{TIME_ZONE}}</p>
<ul class="links">
<li><a class="live" href="{{CAMERA_LIVE_URL}}">Watch live</a></li>
<li><a class="playlist" href="{{CAMERA_LIVE_PLAYLIST_URL}}" type="application/vnd.apple.mpegurl">Live playlist (.m3u8)</a></li>
<li><a class="frame" href="{{FRAME_URL}}">Frame now (.jpg)</a></li>
<li><a class="moment" href="{{MOMENT_MP4_URL}}" title="The 10 s around now, saved under Moments">Save moment (.mp4)</a></li>
<li><a class="moment" href="{{MOMENT_GIF_URL}}" title="The 10 s around now, saved under Moments">Save moment (.gif)</a></li>
</ul>
{{#MOMENTS}}
<details class="moments">
<summary>Moments ({{MOMENT_COUNT}})</summary>
<ul>
{{#MOMENT}}
<li><time datetime="{{MOMENT_ISO}}">{{MOMENT_TIME}}</time> <a href="{{MOMENT_URL}}">{{MOMENT_FORMAT}}</a> <small>{{MOMENT_SIZE}}</small></li>
{{/MOMENT}}
</ul>
</details>
{{/MOMENTS}}
{{#NO_DAYS}}
<p class="empty">No recordings yet.</p>
{{/NO_DAYS}}
{{#MONTH}}
<section class="month" data-month="{{MONTH_ID}}">
<h3>{{MONTH_LABEL}}</h3>
<div class="table-wrap">
<table class="days">
<caption class="visually-hidden">{{CAMERA_NAME}}, {{MONTH_LABEL}}</caption>
<thead>
<tr>
<th scope="col">Date</th>
<th scope="col">Recorded</th>
<th scope="col" class="num">Gaps</th>
<th scope="col" class="num">Size</th>
<th scope="col">State</th>
<th scope="col">Links</th>
</tr>
</thead>
<tbody>
{{#DAY}}
<tr data-date="{{DATE}}" data-state="{{STATE}}"{{#CONVERSION_FAILED}} data-conversion-failures="{{FAILED_ATTEMPTS}}"{{/CONVERSION_FAILED}}>
<th scope="row"><time datetime="{{DATE}}">{{DATE}}</time> <span class="weekday">{{WEEKDAY}}</span></th>
<td><data value="{{RECORDED_SECONDS}}">{{RECORDED}}</data> <small class="range">{{FIRST_TIME}}–{{LAST_TIME}}</small></td>
<td class="num">{{GAPS}} <small>({{GAP_TIME}})</small></td>
<td class="num"><data value="{{SIZE_BYTES}}">{{SIZE}}</data> <small>{{SEGMENTS}} {{SEGMENTS_WORD}}</small>{{#CONVERTED}} <small class="saved" title="{{CODEC}}"><data value="{{SOURCE_SIZE_BYTES}}">{{SAVING}}</data></small>{{/CONVERTED}}</td>
<td><span class="state state-{{STATE}}">{{STATE}}</span>{{#CONVERSION_FAILED}} <small class="conversion-failed" title="{{FAILED_REASON_FULL}}">{{FAILED_TEXT}}</small>{{/CONVERSION_FAILED}}</td>
<td>
<ul class="links">
<li><a class="watch" href="{{WATCH_URL}}">Watch</a></li>
<li><a class="playlist" href="{{PLAYLIST_URL}}" type="application/vnd.apple.mpegurl">Playlist (.m3u8)</a></li>
<li><a class="live" href="{{LIVE_URL}}">Live</a></li>
{{#HAS_TIMELAPSE}}
<li><a class="timelapse" href="{{TIMELAPSE_URL}}">Timelapse</a></li>
{{/HAS_TIMELAPSE}}
{{#HAS_DOWNLOAD}}
<li><a class="download" href="{{DOWNLOAD_URL}}" download>Download</a></li>
{{/HAS_DOWNLOAD}}
</ul>
</td>
</tr>
{{/DAY}}
</tbody>
</table>
</div>
</section>
{{/MONTH}}
</section>
{{/CAMERA}}
</main>
</body>
</html>
