"""Every user-visible string, in one place (ready for translation).

Strings are ``str.format`` templates; the names say where each one is used.
"""

# Generation: bad input (nothing is charged for any of these)
EMPTY_PROMPT = "Please describe the image: /imagine a red fox at dawn --ar 16:9"
PROMPT_TOO_LONG = "That prompt is {length} characters; the limit is {limit}. Please shorten it."
PROMPT_CONTROL_CHARS = (
    "Your prompt contains invisible control characters. Please retype it as plain text."
)
PROMPT_BLOCKED = "That prompt isn't allowed here. Please try something else."
UNKNOWN_FLAG = "Unknown option {flag}. Options: {known}."
FLAG_NEEDS_VALUE = "Option {flag} needs a value, e.g. {example}."
FLAG_BAD_NUMBER = "Option {flag} takes a whole number, not '{value}'."
FLAG_BAD_DECIMAL = "Option {flag} takes a number, not '{value}'."
FLAG_OUT_OF_RANGE = "Option {flag} must be between {low} and {high} (got {value})."
FLAG_REPEATED = "Option {flag} is given twice; please give it once."
BAD_ASPECT = "Aspect ratio must look like 16:9, between 1:4 and 4:1 (got '{value}')."
UNKNOWN_SIZE = "Unknown size '{value}'. Sizes: {known}."
UNKNOWN_LORA = "Unknown LoRA '{name}'. Available: {known}."
UNKNOWN_STYLE = "Unknown style '{name}'. Available: {known}."
NONE_CONFIGURED = "none configured"
STRENGTH_NEEDS_IMAGE = "--strength only applies to image-to-image (send an image with your prompt)."
TOO_MANY_LORAS = "At most {limit} LoRAs per image."

# Input images
IMAGE_NOT_AN_IMAGE = "That file isn't an image I can read. Please send a PNG, JPEG or WebP."
IMAGE_UNSUPPORTED = "That image format isn't supported. Please send a PNG, JPEG or WebP."
IMAGE_TOO_LARGE = "That image is {size} — the limit is {limit}. Please send a smaller one."
IMAGE_TOO_MANY_PIXELS = "That image is too large: the limit is {limit} pixels."
IMAGE_ANIMATED = "Animated images aren't supported. Please send a still image."
IMAGE_TRUNCATED = "That image file is damaged or incomplete. Please send it again."
EDIT_NEEDS_IMAGE = "Image-to-image needs an image: send a photo with your prompt as its caption."

# Credits and limits
NOT_ENOUGH_CREDITS = (
    "This needs {needed} credits but you have {available}. Ask an admin for more credits."
)
BANNED = "You can't use this bot. If you think this is a mistake, contact an admin."
TOO_MANY_JOBS = "You already have {limit} images in progress. Wait for one to finish or /cancel it."
RATE_LIMITED = "Slow down a little — try again in a few seconds."
SPEND_CAP = (
    "You have used {spent} of your {cap} credits for the last 24 hours. Please try again later."
)

# Job life
QUEUED = "⏳ Queued{position} — {prompt}"
QUEUE_POSITION = " (#{position})"
GENERATING = "🎨 Generating — {prompt}"
UPLOADING = "📤 Sending your image — {prompt}"
ACCEPTED = "Job {job_id} accepted: {count} image(s), {cost} credits held."
DUPLICATE_EVENT = "Job {job_id} is already on its way."
DELIVERED = "✅ Job {job_id}: {prompt} · seed {seed} · {model} · {cost} credits"
SAVED_TO = "   saved {path}"
FAILED_PREFIX = "❌ Job {job_id} failed: {reason} Your {cost} credits were returned."
FAIL_REJECTED = "fal refused the request: {detail}."
FAIL_UNAVAILABLE = "the image service is busy or unreachable right now. Please try again soon."
FAIL_FLAGGED = "the safety filter flagged the image, so it wasn't sent."
FAIL_TIMED_OUT = "it took longer than {seconds} seconds."
FAIL_CANCELLED = "it was cancelled."
FAIL_NO_RESULT = "the image service returned no usable image."
FAIL_INTERRUPTED = "the bot restarted while sending it to the image service."
FAIL_DELIVERY = "the image couldn't be delivered here."
FAIL_INTERNAL = "something went wrong on our side."
FAIL_DELIVERY_UNSURE = "the bot restarted while posting the image; it may have arrived."
DELIVERY_UNSURE = (
    "⚠️ Job {job_id}: the bot restarted while posting your image, so it may or may not have "
    "arrived. It won't be posted twice, and you aren't charged: your {cost} credits were "
    "returned."
)
CANCELLED_OK = "Job {job_id} cancelled; {cost} credits returned."
NOTHING_TO_CANCEL = "You have no job in progress."
CANNOT_CANCEL = "Job {job_id} can't be cancelled now (it is {state})."
NO_SUCH_JOB = "There is no job {job_id}."
NOT_YOUR_JOB = "That button belongs to someone else's image."
NO_SUCH_IMAGE = "Job {job_id} has no image number {index}."
NOT_FINISHED = "Job {job_id} has no finished image yet."

# Balance, history, help
BALANCE = "💳 {available} credits available{held}."
BALANCE_HELD = ", {held} held by images in progress"
COSTS_HEADER = "Costs per image:"
COST_LINE = "  {model}: {cost}"
HISTORY_EMPTY = "You haven't made any images yet. Try /imagine a red fox at dawn"
HISTORY_HEADER = "Your last {count} jobs:"
HISTORY_LINE = "{job_id} · {state} · {when} · {prompt}"
UNKNOWN_COMMAND = "Unknown command {command}. Send /help for the list."
HELP = """\
/imagine <prompt> [options] — make images ({cost} credits per image)
/edit <prompt> [options] — image-to-image (attach an image)
/balance — your credits and prices
/history — your last 10 jobs
/cancel [job id] — cancel a job (your latest one by default)
/help — this message

Options (type them after the prompt):
  --ar 16:9         aspect ratio (between 1:4 and 4:1)
  --size NAME       {sizes}
  --seed N          repeat a result exactly
  --no TEXT         what to leave out (negative prompt)
  --steps N         1–50 (default {steps})
  --n N             number of images, 1–4
  --lora NAME[:S]   a named LoRA, scale 0–4 ({loras})
  --style NAME      {styles}
  --strength X      image-to-image only, 0.01–1 (default {strength})"""
ADMIN_HELP = """\
Admin: /grant <user> <amount> [reason] · /revoke <user> <amount> [reason] ·
/setcredits <user> <amount> [reason] · /credits <user> · /refund <job id> [reason] ·
/ban <user> · /unban <user> · /stats"""

# Admin
NOT_ADMIN = "That command is for admins only."
ADMIN_USAGE = "Usage: {usage}"
BAD_AMOUNT = "The amount must be a whole number from {low} to {high} (got '{value}')."
UNKNOWN_USER = "I don't know user {user}: they need to use the bot once first."
GRANTED = "Granted {amount} credits to {user}. Balance: {available} available, {held} held."
REVOKED = "Revoked {amount} credits from {user}. Balance: {available} available, {held} held."
SET_TO = "Set {user} to {available} credits ({held} held)."
ALREADY_DONE = "Already done (that command was received before)."
REVOKE_TOO_MUCH = "{user} has only {available} credits available."
CREDITS_SHOW = "{user}: {available} available, {held} held{banned}."
CREDITS_BANNED = ", BANNED"
LEDGER_LINE = "  {when} {kind} {delta:+d} {job} by {actor} {reason}"
REFUNDED = "Refunded {amount} credits for job {job_id} to {user}."
NOT_REFUNDABLE = "Job {job_id} can't be refunded (it is {state}, or was refunded already)."
BANNED_OK = "{user} is banned."
UNBANNED_OK = "{user} is unbanned."
STATS = """\
Last 24 hours: {total} jobs, {delivered} delivered, {failed} failed, {cancelled} cancelled
Success rate: {rate} · median time: {median} · credits spent: {spent}"""
NOT_AVAILABLE = "n/a"
DEFAULT_REASON = "admin {action}"

# Console front end
CONSOLE_READY = "imagebot console — type /help, or a prompt. End input (Ctrl-D) to quit."
CONSOLE_WAITING = "Waiting for {count} job(s) to finish…"

# Command line (the operator, before the bot starts)
BAD_CONFIG = "config error: {key}: {problem}{more}"
BAD_CONFIG_MORE = " (and {count} more problem(s))"
BAD_CONFIG_FILE = "config error: {problem}"
NEED_FAL_KEY = (
    "No fal key: set the FAL_KEY environment variable (or [fal] key in config.toml). "
    "Get one at https://fal.ai/dashboard/keys"
)
NEED_FRONT_END = (
    "No chat front end configured: set TELEGRAM_TOKEN and/or DISCORD_TOKEN "
    "(or [telegram] token / [discord] token in config.toml), or run `python -m bot console`."
)

# Telegram
TG_WORKING = "⏳ One moment…"
TG_WELCOME = """\
👋 Hi! I turn words into images with FLUX.
{balance}

Send me a description (or /imagine <prompt>), or a photo with a caption to change it.
/help lists every option."""
TG_HELP_EXTRA = """\

On Telegram: send a photo (or an image file) with your prompt as its caption, or reply
/edit <prompt> to a photo. In groups use /imagine@{bot} <prompt>, or reply to my messages.
Under each result: 🔁 re-roll, 🎨 variations, ⬇ the original file."""
TG_CAPTION_NEEDED = (
    "Add a caption to the photo saying what to make of it, e.g. “as a watercolour painting”."
)
TG_UNSUPPORTED = "I can only work with text prompts and images. Send /help to see what I can do."
TG_ADMIN_PRIVATE_ONLY = "Admin commands work only in a private chat with me."
TG_ANONYMOUS = "I can't tell who you are when you post anonymously. Please write as yourself."
TG_ERROR = "Sorry, something went wrong on my side. Please try again in a moment."
TG_BUTTON_REROLL = "🔁 Re-roll"
TG_BUTTON_VARY = "🎨 Variations"
TG_BUTTON_ORIGINAL = "⬇ Original"
TG_BUTTON_VARY_N = "🎨 {number}"
TG_BUTTON_ORIGINAL_N = "⬇ {number}"
TG_RESULT_BUTTONS = "Job {job_id}: 🔁 re-roll · 🎨 variations of image N · ⬇ original of image N"
TG_UPLOAD_UNSURE = (
    "Telegram was slow to confirm the upload of job {job_id}. "
    "If an image is missing, tap ⬇ to get the file."
)
TG_BUTTON_STALE = "This button doesn't work any more."
TG_ORIGINAL_GONE = "The original file of job {job_id} is no longer available."
TG_MENU_START = "Welcome and your credits"
TG_MENU_HELP = "Commands, options and costs"
TG_MENU_IMAGINE = "Make images from a prompt"
TG_MENU_EDIT = "Change a photo (reply to it, or use as caption)"
TG_MENU_BALANCE = "Your credits and prices"
TG_MENU_HISTORY = "Your last 10 jobs"
TG_MENU_CANCEL = "Cancel a job in progress"
TG_MENU_GRANT = "Admin: give credits"
TG_MENU_REVOKE = "Admin: take credits"
TG_MENU_SETCREDITS = "Admin: set a balance"
TG_MENU_CREDITS = "Admin: a user's credits and ledger"
TG_MENU_REFUND = "Admin: refund a job"
TG_MENU_BAN = "Admin: ban a user"
TG_MENU_UNBAN = "Admin: unban a user"
TG_MENU_STATS = "Admin: jobs and credits today"

# Discord
DISCORD_COMMANDS = {
    "imagine": "Make images with FLUX",
    "edit": "Change an image you attach (image-to-image)",
    "balance": "Your credits and the prices",
    "history": "Your last 10 jobs",
    "cancel": "Cancel a job (your latest one by default)",
    "help": "How to use the bot",
    "credits": "Admin: a user's credits",
    "grant": "Admin: give a user credits",
    "revoke": "Admin: take credits from a user",
    "set": "Admin: set a user's available credits",
    "show": "Admin: a user's balance",
    "ledger": "Admin: a user's balance and latest credit changes",
    "refund": "Admin: give back what a delivered job cost",
    "ban": "Admin: stop a user from using the bot",
    "unban": "Admin: let a banned user use the bot again",
    "stats": "Admin: jobs and credits of the last 24 hours",
}
DISCORD_OPTIONS = {
    "prompt": "What to draw (options such as --ar 16:9 work here too)",
    "negative": "What to leave out",
    "size": "Image size",
    "style": "A style preset",
    "lora": "A named LoRA",
    "lora_scale": "How strongly the LoRA applies, 0 to 4",
    "seed": "Repeat a result exactly",
    "count": "How many images, 1 to 4",
    "steps": "Inference steps, 1 to 50",
    "image": "The image to change (PNG, JPEG or WebP)",
    "strength": "How much to change it: 0.01 keeps it, 1 remakes it",
    "job": "A job id (see /history)",
    "user": "The user",
    "amount": "Credits",
    "reason": "Why (kept in the ledger)",
}
DISCORD_HELP_EXTRA = """\

On Discord the options are also typed fields of /imagine and /edit. Under each result:
🔁 re-roll, 🎨 N variations of image N, 🗑 delete."""
DISCORD_SCALE_NEEDS_LORA = "lora_scale needs a LoRA: pick one in the lora option too."
DISCORD_DOWNLOAD_FAILED = "I couldn't download that attachment. Please attach it again."
DISCORD_ERROR = "Sorry, something went wrong on my side. Please try again in a moment."
DISCORD_BAD_OPTION = "The value '{value}' can't be used for that option. Please check it."
DISCORD_SERVER_ONLY = "That command works only in a server."
DISCORD_NOT_YOURS_TO_DELETE = (
    "Only the person who made this image, or someone who may manage messages, can delete it."
)
DISCORD_DELETE_FAILED = "I couldn't delete that message."
DISCORD_MENTION = "<@{user_id}>"
DISCORD_RESULT_TITLE = "Job {job_id}"
DISCORD_SEED = "Seed"
DISCORD_MODEL = "Model"
DISCORD_TIME = "Time"
DISCORD_SECONDS = "{seconds:.1f} s"
DISCORD_COST = "Cost"
DISCORD_CREDITS = "{cost} credits"
DISCORD_LINKS = "Too large to attach"
DISCORD_LINK = "[image {number}]({url})"
DISCORD_REROLL = "Re-roll"
DISCORD_VARY = "{number}"
DISCORD_DELETE = "Delete"
DISCORD_ADMIN_HELP = """\

Admin: /credits grant|revoke|set|show|ledger|refund · /ban · /unban · /stats"""
TG_BAD_TOKEN = (
    "Telegram rejected the bot token: check TELEGRAM_TOKEN (or [telegram] token in config.toml)."
)
