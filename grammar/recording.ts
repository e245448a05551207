/**
 * Chevrotain's grammar recording with its recording methods on a prototype, not on the parser.
 *
 * `performSelfAnalysis` records the grammar by running every rule once with the DSL methods
 * (CONSUME, OR, MANY… and their numbered forms: 86 of them) replaced by recording versions.
 * Chevrotain sets those as properties of the parser instance (`enableRecording`) and then deletes
 * them one by one (`disableRecording`). On our parser, an object of ~130 properties, the deletes
 * were about half of its construction (measured warm: 15–18 ms → 8–10 ms without them), which
 * every `symbic` command and every `symbi exec` of a `.symbi` file pays before reading a line.
 *
 * Here the recording methods are chevrotain's own — its `enableRecording` makes them, once, on a
 * scratch object whose prototype is the parser's — and that object becomes the parser's
 * prototype for the recording; the parser's prototype is put back after. Every DSL call
 * resolves to the same function as chevrotain's way would give it, during recording (the
 * scratch object's own) and after (the class's), so the recorded grammar is the same
 * (test/grammar/recording.test.ts compares it with chevrotain's own recording).
 */

/** The part of chevrotain's parser (its GastRecorder trait, internal) this module replaces. */
interface Recorder {
  RECORDING_PHASE: boolean;
  enableRecording(): void;
  disableRecording(): void;
}

/** Recording prototypes, each keyed by the prototype it sits on. */
const recordingFor = new WeakMap<object, object>();
/** The recording prototypes made (to tell one when putting the parser's prototype back). */
const recordingPrototypes = new WeakSet<object>();

/**
 * Makes parsers of `parserClass` (a chevrotain parser class) record their grammar through a
 * prototype. Call once, after the class is defined.
 */
export function recordOnPrototype(parserClass: { prototype: object }): void {
  const proto = parserClass.prototype as Recorder;
  const chevrotainEnable = proto.enableRecording;
  proto.enableRecording = function (this: Recorder): void {
    const real = Object.getPrototypeOf(this) as object;
    let recording = recordingFor.get(real);
    if (!recording) {
      const made = Object.create(real) as Recorder;
      // Chevrotain's own enableRecording sets its recording methods on `made` (and its flag,
      // which the parser keeps as its own property, so it is not left on the prototype).
      chevrotainEnable.call(made);
      delete (made as Partial<Recorder>).RECORDING_PHASE;
      recordingFor.set(real, made);
      recordingPrototypes.add(made);
      recording = made;
    }
    this.RECORDING_PHASE = true;
    Object.setPrototypeOf(this, recording);
  };
  proto.disableRecording = function (this: Recorder): void {
    this.RECORDING_PHASE = false;
    const current = Object.getPrototypeOf(this) as object;
    if (recordingPrototypes.has(current)) Object.setPrototypeOf(this, Object.getPrototypeOf(current) as object);
  };
}
