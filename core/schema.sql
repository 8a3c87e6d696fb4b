-- The catalog: an index of the archive, rebuildable from the files on disk
-- (`cctv-worker --reindex`). The worker is its only writer; the web programs
-- open it read-only. Times are UTC microseconds since the epoch.
--
-- Version 5. Upgrades are numbered steps in core/catalog.cpp (k_upgrades); a new
-- step appends to that list and this file describes the newest schema.
CREATE TABLE camera (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  directory TEXT NOT NULL,  -- relative to the archive root; '' = the root itself
  time_zone TEXT NOT NULL   -- IANA name; '' = the system zone
);

-- One row per camera and local day directory, with aggregates of its segments
-- kept up to date by the worker so that pages never scan segments.
CREATE TABLE day (
  camera_id INTEGER NOT NULL REFERENCES camera (id) ON DELETE CASCADE,
  date TEXT NOT NULL CHECK (length(date) = 10),  -- YYYY-MM-DD, camera local time
  state TEXT NOT NULL DEFAULT 'recording'
    CHECK (state IN ('recording', 'settled', 'converting', 'converted', 'archived')),
  version INTEGER NOT NULL DEFAULT 1,  -- bumped on every change: part of the ETag
  changed_time_us INTEGER NOT NULL,
  segment_count INTEGER NOT NULL DEFAULT 0 CHECK (segment_count >= 0),
  recorded_us INTEGER NOT NULL DEFAULT 0,
  size_bytes INTEGER NOT NULL DEFAULT 0,
  first_start_time_us INTEGER,
  last_end_time_us INTEGER,
  gap_count INTEGER NOT NULL DEFAULT 0,
  gap_us INTEGER NOT NULL DEFAULT 0,
  conversion_failures INTEGER NOT NULL DEFAULT 0,  -- failed conversions so far (v3)
  conversion_error TEXT NOT NULL DEFAULT '',       -- the latest failure; '' = none (v3)
  -- Retention's two-phase delete (v4): set (mark) before the day's files are deleted,
  -- the rows are removed after; NULL = not being deleted. A day left marked by a crash
  -- is finished when the worker starts. Why it goes: its age (daysToKeep), the
  -- archive's size (clearWhenFilePathReachGB) or the free-space floor (minFreeGB).
  delete_reason TEXT CHECK (delete_reason IN ('days', 'size', 'free space')),
  PRIMARY KEY (camera_id, date)
) WITHOUT ROWID;

-- A marked day keeps its state: a conversion cannot start on it, a late segment
-- cannot set it back to recording (v4).
CREATE TRIGGER day_marked_keeps_its_state BEFORE UPDATE OF state ON day
  WHEN OLD.delete_reason IS NOT NULL AND NEW.state != OLD.state
BEGIN
  SELECT RAISE(IGNORE);
END;

CREATE TABLE segment (
  id INTEGER PRIMARY KEY,
  camera_id INTEGER NOT NULL,
  date TEXT NOT NULL,
  name TEXT NOT NULL,  -- file name inside the day directory
  start_time_us INTEGER NOT NULL,
  duration_us INTEGER NOT NULL CHECK (duration_us > 0),
  size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),
  codec TEXT NOT NULL DEFAULT '',  -- e.g. 'h264 640x360'; a change is a discontinuity
  mtime_ns INTEGER NOT NULL DEFAULT 0,
  -- 1: written by the recorder, whose start (wall clock corrected by the stream's
  -- timestamps) is finer than the file name's; the indexer keeps it while the file
  -- keeps its size and mtime.
  recorded INTEGER NOT NULL DEFAULT 0 CHECK (recorded IN (0, 1)),
  UNIQUE (camera_id, date, name),
  FOREIGN KEY (camera_id, date) REFERENCES day (camera_id, date) ON DELETE CASCADE
);
CREATE INDEX segment_by_day_time ON segment (camera_id, date, start_time_us);

-- No segment row is added to a day marked for deletion: its files are going (v4).
CREATE TRIGGER segment_not_into_marked_day BEFORE INSERT ON segment
  WHEN EXISTS (SELECT 1 FROM day WHERE camera_id = NEW.camera_id AND date = NEW.date
               AND delete_reason IS NOT NULL)
BEGIN
  SELECT RAISE(IGNORE);
END;

-- What each configured camera is doing, written by the worker's recorder (v2).
CREATE TABLE camera_status (
  camera_id INTEGER PRIMARY KEY REFERENCES camera (id) ON DELETE CASCADE,
  state TEXT NOT NULL
    CHECK (state IN ('recording', 'reconnecting', 'disabled', 'upload-only')),
  since_time_us INTEGER NOT NULL,      -- when the camera entered this state
  last_error TEXT NOT NULL DEFAULT '', -- the latest failure, never a secret; '' = none
  bitrate_bps INTEGER NOT NULL DEFAULT 0 CHECK (bitrate_bps >= 0),
  segments_today INTEGER NOT NULL DEFAULT 0 CHECK (segments_today >= 0),
  updated_time_us INTEGER NOT NULL
);

-- A converted day: its segments were replaced by one fragmented MP4 (v3). A day's
-- aggregates then describe that file (size_bytes = file size, segment_count = fragments).
CREATE TABLE converted_day (
  camera_id INTEGER NOT NULL,
  date TEXT NOT NULL,
  file_name TEXT NOT NULL,                  -- inside the day directory, e.g. 'video.mp4'
  init_size_bytes INTEGER NOT NULL CHECK (init_size_bytes > 0),  -- ftyp + moov at 0
  file_size_bytes INTEGER NOT NULL CHECK (file_size_bytes >= 0),
  source_size_bytes INTEGER NOT NULL CHECK (source_size_bytes >= 0),
  codec TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (camera_id, date),
  FOREIGN KEY (camera_id, date) REFERENCES day (camera_id, date) ON DELETE CASCADE
) WITHOUT ROWID;

-- One moof + mdat pair of a converted day's file, in order (v3).
CREATE TABLE fragment (
  camera_id INTEGER NOT NULL,
  date TEXT NOT NULL,
  seq INTEGER NOT NULL,
  offset_bytes INTEGER NOT NULL CHECK (offset_bytes >= 0),  -- of the moof box
  size_bytes INTEGER NOT NULL CHECK (size_bytes > 0),       -- moof + mdat
  start_time_us INTEGER NOT NULL,
  duration_us INTEGER NOT NULL CHECK (duration_us >= 0),
  PRIMARY KEY (camera_id, date, seq),
  FOREIGN KEY (camera_id, date) REFERENCES day (camera_id, date) ON DELETE CASCADE
) WITHOUT ROWID;

-- The S3 sync queue (v5): one row per file that must go up (every segment when
-- s3Config.uploadSegments, a converted day's video.mp4 and video.mp4.sha512sum), so
-- that a restart resumes. pending -> uploading (a multipart upload, its id recorded so
-- that a restart aborts it) -> done (size and ETag verified with HEAD), or failed (tried
-- again at next_try_time_us). only_in_s3: the local file was deleted after its upload
-- was verified (storageConfig.clearAfterUpload; the day is then `archived`).
CREATE TABLE upload (
  camera_id INTEGER NOT NULL,
  date TEXT NOT NULL,
  name TEXT NOT NULL,              -- file name inside the day directory
  object_key TEXT NOT NULL,        -- s3Path/<camera>/<date>/<camera>_<feed>_<start>_<end>.<ext>
  start_time_us INTEGER NOT NULL,  -- what the file covers (oldest first; the key's times)
  end_time_us INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'uploading', 'done', 'failed')),
  upload_id TEXT NOT NULL DEFAULT '',  -- the multipart upload in progress; '' = none
  etag TEXT NOT NULL DEFAULT '',       -- verified with HEAD when done
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_try_time_us INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',  -- never a secret or a signed URL
  queued_time_us INTEGER NOT NULL,
  done_time_us INTEGER,
  only_in_s3 INTEGER NOT NULL DEFAULT 0 CHECK (only_in_s3 IN (0, 1)),
  PRIMARY KEY (camera_id, date, name),
  FOREIGN KEY (camera_id, date) REFERENCES day (camera_id, date) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX upload_waiting ON upload (state, start_time_us) WHERE state != 'done';

-- The sync queue as the index page shows it (v5): one row, written by the worker.
CREATE TABLE sync_status (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  state TEXT NOT NULL CHECK (state IN ('idle', 'uploading', 'retrying', 'blocked')),
  waiting_files INTEGER NOT NULL DEFAULT 0,
  waiting_bytes INTEGER NOT NULL DEFAULT 0,
  oldest_waiting_time_us INTEGER,  -- end of the oldest file not yet uploaded; NULL = none
  uploaded_files INTEGER NOT NULL DEFAULT 0,  -- since the worker started
  uploaded_bytes INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',  -- why it is retrying or blocked
  updated_time_us INTEGER NOT NULL
);
