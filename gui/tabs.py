"""The tabs of the main window, in the order a learner meets the ideas."""

# (title, "module:Class"). A tab class takes (parent) and may define
# prepare_screenshot(), called before `glassbox --screenshot` saves its picture, and
# shutdown(), called when the window closes.
TABS = [
    ("Text cleaning", "gui.cleaning_tab:CleaningTab"),
    ("Generate", "gui.generate_tab:GenerateTab"),
    ("Audio", "gui.audio_tab:AudioTab"),
    ("Library", "gui.library_tab:LibraryTab"),
    ("Models", "gui.models_tab:ModelsTab"),
]

# The order tabs appear in, whichever of them exist yet.
TAB_ORDER = ["Text cleaning", "Inside the model", "Generate", "Audio", "Images", "Library",
             "Models"]
