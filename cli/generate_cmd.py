"""`glassbox generate`: text from the language model under any decoding strategy."""

import sys

from cli.app import print_json
from inference.generation import DEFAULT_MODEL, STRATEGIES, GenerationOptions, load_generator


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "generate", help="continue a prompt with the local language model",
        description="Continue a prompt with the local language model. Greedy always takes the "
                    "most likely token; sample draws from the filtered distribution; beam "
                    "searches several continuations at once.")
    parser.add_argument("--prompt", required=True, help="the text to continue")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="model name (see glassbox models)")
    parser.add_argument("--strategy", choices=STRATEGIES, default="greedy")
    parser.add_argument("--temperature", type=float, default=1.0,
                        help="0 = greedy; <1 sharper, >1 flatter (sample)")
    parser.add_argument("--top-k", type=int, default=0, help="keep the k likeliest tokens; 0 = off")
    parser.add_argument("--top-p", type=float, default=1.0,
                        help="nucleus: keep tokens up to this probability mass; 0 = best only")
    parser.add_argument("--min-p", type=float, default=0.0,
                        help="drop tokens below this fraction of the best token's probability")
    parser.add_argument("--typical-p", type=float, default=1.0, help="typical sampling mass")
    parser.add_argument("--repetition-penalty", type=float, default=1.0,
                        help="divide the odds of tokens already in the text by this")
    parser.add_argument("--num-beams", type=int, default=4, help="beam width (beam)")
    parser.add_argument("--length-penalty", type=float, default=1.0, help="beam length penalty")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--seed", type=int, default=None, help="makes sampling reproducible")
    parser.add_argument("--stop", action="append", default=[], metavar="TEXT",
                        help="end the text where this appears (repeatable)")
    parser.add_argument("--top-probs", type=int, default=10,
                        help="how many first-step alternatives to report")
    parser.add_argument("--chat", action="store_true", help="apply the model's chat template")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=generate)


def options_from_args(args) -> GenerationOptions:
    return GenerationOptions(
        strategy=args.strategy, max_new_tokens=args.max_new_tokens,
        temperature=args.temperature, top_k=args.top_k, top_p=args.top_p, min_p=args.min_p,
        typical_p=args.typical_p, repetition_penalty=args.repetition_penalty, seed=args.seed,
        num_beams=args.num_beams, length_penalty=args.length_penalty, stop=tuple(args.stop),
        top_probs=args.top_probs)


def generate(args) -> int:
    options = options_from_args(args)
    generator = load_generator(args.model)
    result = None
    for event in generator.stream(args.prompt, options, chat=args.chat):
        if not args.json and event.text:
            sys.stdout.write(event.text)
            sys.stdout.flush()
        if event.kind == "done":
            result = event.result

    if args.json:
        print_json(result_json(result))
    else:
        sys.stdout.write("\n")
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
    return 0


def result_json(result) -> dict:
    data = {
        "text": result.text,
        "tokens": [{"id": t.token_id, "text": t.text, "prob": round(t.prob, 6)}
                   for t in result.tokens],
        "next_token_top": [{"token": token, "prob": round(prob, 6)}
                           for token, prob in result.next_token_top],
        "tokens_per_second": round(result.tokens_per_second, 2),
        "prefill_seconds": round(result.prefill_s, 4),
        "prompt_tokens": result.prompt_tokens,
        "stop_reason": result.stop_reason,
        "model": result.model,
        "notes": result.notes,
    }
    if result.beams:
        data["beams"] = result.beams
    return data
