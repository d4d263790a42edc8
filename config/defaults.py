"""Default settings for PeerPath, the first layer of configuration.

Precedence: these defaults -> optional settings file (PEERPATH_SETTINGS_FILE or
instance/settings.py) -> PEERPATH_* environment variables -> test overrides.
"""

# "production" (default) or "development". Development allows plain http on loopback
# and the built-in dev LMS; production refuses to start with demo defaults.
ENV = "production"

# Required in production. In development a random key is generated once into instance/.
SECRET_KEY = None

# SQLAlchemy URL. Default: SQLite file instance/peerpath.sqlite (WAL mode).
# postgresql://... is accepted and served through psycopg 3.
DATABASE_URL = None

# Public URL of the tool as the LMS sees it, e.g. https://peerpath.example.com
BASE_URL = None

# Number of reverse proxies in front of the app whose X-Forwarded-Proto/-Host we trust.
TRUSTED_PROXIES = 0

# --- LTI launch -------------------------------------------------------------------
# Seconds an OIDC login (state + nonce) stays valid before the launch must arrive.
OIDC_STATE_LIFETIME = 300
# Accepted clock skew between the LMS and us, in seconds (exp, iat, nbf).
JWT_LEEWAY = 60
# An id_token issued longer ago than this is refused even if its exp says otherwise.
ID_TOKEN_MAX_AGE = 600
# Refuse launches that could not be bound to the browser by a cookie or by LTI
# Platform Storage (see README, "Security"). Off: a one-time server-side handle is used.
REQUIRE_BROWSER_BINDING = False
# The signed token carried by links and forms after a launch: lifetime in seconds.
# Every page issues a fresh one, so active users are never cut off mid-task.
LAUNCH_TOKEN_MAX_AGE = 3600
# Hard limit on one launch session, however active.
LAUNCH_SESSION_LIFETIME = 12 * 3600

# --- Platform keys ----------------------------------------------------------------
# How long a fetched platform JWKS is trusted before it is fetched again.
PLATFORM_JWKS_CACHE_SECONDS = 3600
# An unknown kid triggers a refetch at most this often per key-set URL.
PLATFORM_JWKS_MIN_REFETCH_SECONDS = 10
# Timeout for every HTTP call to a platform, in seconds.
HTTP_TIMEOUT = 10

# --- Tool keys --------------------------------------------------------------------
# After `peerpath keys rotate`, the previous public key stays published this long.
KEY_ROTATION_GRACE_DAYS = 7

# --- Registration -----------------------------------------------------------------
# Issuers allowed to use dynamic registration without an operator-issued invite.
REGISTRATION_ALLOWED_ISSUERS: list[str] = []
# Lifetime of a `peerpath platform invite` link, in hours.
REGISTRATION_INVITE_HOURS = 72
TOOL_NAME = "PeerPath"
TOOL_DESCRIPTION = "Peer learning for the workplace: peer review, peer coaching and employee-authored lessons."

# --- Grades (AGS outbox; see README "Grades") -------------------------------------
# Rows one worker claims at a time, and how many it sends in parallel.
GRADES_BATCH_SIZE = 100
GRADES_SEND_THREADS = 8
# A claimed row returns to the queue after this long if its worker died mid-send.
GRADES_LEASE_SECONDS = 120
# Exponential backoff with jitter on 5xx, timeouts and dropped connections.
GRADES_BACKOFF_BASE_MS = 2000
GRADES_BACKOFF_MAX_SECONDS = 3600
# A Retry-After longer than this is capped (a misconfigured LMS must not park grades for days).
GRADES_RETRY_AFTER_MAX_SECONDS = 6 * 3600
# How often an idle worker looks for new rows.
GRADES_POLL_SECONDS = 1.0
# Timeout of one AGS call, in seconds.
GRADES_HTTP_TIMEOUT = 10
# How often the worker runs the activities' time-driven work (peer review phases moved by
# their dates, work completed without reviews after the fallback days).
HOUSEKEEPING_SECONDS = 60

# --- Rosters (NRPS) -------------------------------------------------------------------
# A course roster younger than this is not fetched again when a page asks for it.
ROSTER_MAX_AGE_SECONDS = 900
# Members per NRPS page (None: the LMS decides).
ROSTER_PAGE_SIZE = None

# --- Certificates -----------------------------------------------------------------
# "Prepare the PDFs" on a course's certificates page renders missing PDFs in batches of
# this many per request, and starts no new batch once this many seconds have passed.
CERTIFICATE_PREPARE_BATCH = 10
CERTIFICATE_PREPARE_SECONDS = 2

# --- Pages ------------------------------------------------------------------------
# Who may frame the tool (CSP frame-ancestors). LMSs embed it, so the default is open.
FRAME_ANCESTORS = "*"
DEFAULT_LOCALE = "en"
DEFAULT_TIMEZONE = "UTC"

# --- Dev LMS ----------------------------------------------------------------------
# The built-in LTI 1.3 platform for the demo and the tests. Never on in production.
DEVLMS_ENABLED = False
