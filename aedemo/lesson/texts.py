"""The fixed prose of the lesson page: section titles, what the numbers mean, responsible use.

    from aedemo.lesson.texts import SECTIONS, RESPONSIBLE_USE
    for key, title in SECTIONS: ...

Kept apart from report.py so a teacher can read and edit the words in one place. Everything
here is fixed HTML written by hand; nothing from a run is pasted into it.
"""
from .readings import R2_GOOD, R2_WEAK, SPREAD_MOVES

SECTIONS = [
    ("idea", "The idea"),
    ("data", "The data"),
    ("training", "Training"),
    ("swap", "The swap"),
    ("shared", "Why a shared encoder"),
    ("code", "The shared code"),
    ("responsible", "Responsible use"),
    ("detect", "Catching the swap"),
]

LOSS_TEXT = """
<p>The <b>loss</b> is how far each decoder's drawing is from the clean picture it should redraw
(mean squared error, with extra weight on the eyes and mouth); the aligner has a loss of its own
for finding those landmarks. Loss only measures each decoder on its own character: the swap has
no training target at all.</p>
"""

PSNR_TEXT = """
<p>So the swap is scored separately: every so often the held-out poses are swapped and compared
with the true swap. PSNR (peak signal-to-noise ratio, in decibels) is higher when the pictures
are closer; every 6 dB halves the typical pixel error. The eyes-and-mouth curve is the one to
watch: that is where the expression is.</p>
"""

OUTLINE_TEXT = """
<p><b>Why is there an outline behind the swapped face?</b> In early previews you can often see
the source's outline behind the pasted face: {b} with a trace of {a}'s head around it, and the
other way round. That is the pipeline, not a bug. It pastes the decoded face back only where the
decoders' masks say a character is, and early in training those masks are soft and blurry and
the aligner places the crop only roughly, so part of the original frame shows through. As the
masks sharpen, the outline fades.</p>
"""

ABLATION_TEXT = """
<p>What if each character had its own encoder? Then nothing forces A's code to mean the same
thing as B's, and B's decoder is handed a code in a language it never learned. The table scores
each variant's swap the same way.</p>
"""

PCA_TEXT = """
<p>The code has many numbers; PCA finds the two directions along which the codes vary most, so
we can draw them flat. Coloured by character, the clouds may overlap or sit apart: a shared
encoder is not forced to hide who it is. What the swap needs is that the expression is written
the same way for every character; the probes below measure it, and two flat directions may not
show it all.</p>
"""

SWAP_MEASURES = f"""
<p>How to read the tables. Each row is one answer to "draw B in A's pose", scored against the
true swap on the same held-out poses. <b>PSNR</b> and <b>SSIM</b> are higher when the answer is
closer to the truth (SSIM is at most 1); the eyes-and-mouth columns come first because they are
the ones that matter: that is where the expression is. The rows under the swap are
<b>baselines</b>: cheap answers that cannot transfer expression. Two of them even know exactly
where the head is; the blurred one is the best any expression-blind answer can score on PSNR.
The swap has transferred expression only if it beats both in the eyes and mouth.</p>
<p><b>Output spread</b> is how much an answer changes from one source picture to the next,
relative to the truth: 1 is as lively as the truth (<span class="good">moves</span> from {SPREAD_MOVES:g} up),
0 is one <span class="bad">frozen</span> face. It says how much an answer moves, not whether it
moves the right way: copying the input moves exactly as the source does, so it scores about 1,
and above 1 when the source's eyes and mouth change more pixels than the target's. Whether the
movement is right is what PSNR and R&sup2; say.</p>
<p><b>Read as B</b> is how often a small network trained on clean renders names the character
in the answer as B. The <b>R&sup2;</b> table asks a second network to read each pose factor back
from the answer: 1 means the factor came through perfectly (<span class="good">good</span> from
{R2_GOOD:g} up, <span class="weak">weak</span> from {R2_WEAK:g}), 0 means no better than always guessing its
average (<span class="bad">poor</span>), and below 0 <span class="bad">worse than guessing the
average</span>: what a blind baseline scores when it draws one expression for every pose.</p>
"""

PROBES = """
<p>A <b>linear probe</b> asks how much of something can be read from the code with a straight line
(linear regression or a linear classifier), on pictures the probe did not fit. For a pose factor it
reports R&sup2;: 1 means the factor can be read perfectly, 0 means no better than always guessing
the average, and below 0 means worse than that. For the character it reports accuracy: with K
characters, 1 in K right is guessing (half, with two). How to read the table: in an aligned run the crop is cut
around the head before the encoder sees it, so head position, size and tilt are taken out, and
R&sup2; near 0 for those four is expected. The expression (mouth, eyes, smile, gaze) is what the
code must carry. A straight line may read some of it only weakly (often gaze) even when the
decoder, which is not a straight line, draws it well: the swap's own R&sup2; in section 4 is the
test that counts. The character often can be read from the code too; that does not stop the swap,
as long as the expression is written the same way for every character.</p>
"""

VARIANT_MEANING = {  # what each variant of `aedemo ablate` changes, as the page's table says it
    "shared": "one shared encoder: the real thing",
    "separate": "one encoder per character",
    "no-align": "raw frames: no extract, align, paste",
    "warp": "faceswap's random warp on the input",
    "latent-4": "a code of only 4 numbers",
    "gan": "a critic judges the drawings (GAN loss)",
}

VARIANT_QUESTION = {  # what comparing each variant of `aedemo ablate` with "shared" answers: question, shared, it
    "separate": ("Shared or separate encoders?", "one shared encoder", "one encoder per character"),
    "no-align": ("Aligned crops or raw frames?", "aligned crops", "raw frames"),
    "warp": ("Random warp or not?", "no warp", "random warp"),
    "latent-4": ("A long code or a 4-number one?", "the full code", "a 4-number code"),
    "gan": ("An adversarial loss or not?", "pixel loss alone", "a patch critic beside it"),
}

PROBE_MEANING = {  # what each linear probe of `aedemo explain` reads from the code
    "x": "head position across", "y": "head position up and down", "scale": "head size", "roll": "head tilt",
    "gaze_x": "gaze, left and right", "gaze_y": "gaze, up and down", "eye_open": "eyes open",
    "mouth_open": "mouth open", "smile": "smile",
}

RESPONSIBLE_USE = """
<div class="box">
<h3>Why deepfakes matter</h3>
<p>The method on this page is the one behind the first face-swap deepfakes. With photos of real
people it can put words and actions on someone who never said or did them: fake intimate images,
fraud by imitating a boss or a relative, invented statements by politicians, and the
<i>liar's dividend</i>, where real recordings are dismissed as fake. Making such images of a real
person without their consent harms them and is against the law in many places.</p>
<h3>How fakes are caught</h3>
<p><b>Detection</b> looks for traces the method leaves: a blend seam around the pasted face, blur
where the decoder was unsure, lighting, skin or blinking that does not match the rest of the frame,
and patterns in the fine texture that cameras do not make. Detectors are themselves trained
networks; each new generator can fool old detectors, so detection alone is not proof either way.
<a href="#detect">Section 8</a> trains one on this run's swaps.</p>
<p><b>Provenance</b> works from the other side: it records where a picture came from. The C2PA
standard (Content Credentials) attaches a cryptographically signed record to a file saying which
camera or program made it and how it was edited; anyone can check the signature, and a broken or
missing record is a warning sign. <b>Watermarks</b> hide a signal in the pixels of generated
pictures that a matching tool can find later, even after the file's metadata is stripped.</p>
<h3>How aedemo labels what it makes</h3>
<p>aedemo draws cartoon characters. No command feeds a picture file to the network: the commands
take character names, spec files and run folders. Its Python functions take any tensor, so
nothing stops a programmer from passing them a photo, and what comes back is a plain tensor with
no label. Every swapped picture aedemo writes carries a visible <b class="red">synthetic</b> tag;
every PNG that shows a swap carries text metadata (<code>Synthetic: true</code> and a
description), and every GIF a comment saying it is a synthetic image made by aedemo. Metadata is
easy to strip, which is why the visible tag is there too, and why real systems sign their records
instead.</p>
</div>
"""
