namespace KlingGenerated;

/// <summary>What happened to one attempt, as the facts of the document's <c>x-error-classification</c> evaluation.</summary>
internal readonly record struct KlingAttempt(string Answer, int HttpStatus, bool Envelope, int BodyCode, bool BodyLeft, bool? BodySuccess = null)
{
    /// <summary>
    /// An HTTP answer whose body was read whole; <paramref name="envelope"/> when it is the <c>{code, msg, data}</c> object,
    /// <paramref name="bodySuccess"/> its boolean <c>success</c> when it has one (the upload operations' envelope).
    /// </summary>
    public static KlingAttempt Http(int status, bool envelope, int bodyCode, bool bodyLeft = true, bool? bodySuccess = null) => new("http", status, envelope, bodyCode, bodyLeft, bodySuccess);

    /// <summary>No byte of the request left.</summary>
    public static KlingAttempt NotSent() => new("notSent", 0, false, 0, false);

    /// <summary>The request left; the connection failed or the answer broke off.</summary>
    public static KlingAttempt NoAnswer(bool bodyLeft) => bodyLeft ? new("noAnswer", 0, false, 0, true) : NotSent();

    /// <summary>No complete answer in time; <paramref name="bodyLeft"/> false when the attempt ended before its body left.</summary>
    public static KlingAttempt TimedOut(bool bodyLeft) => new("timeout", 0, false, 0, bodyLeft);
}

/// <summary>
/// The document's outcome rules as a table walk: the rules and codes of <c>x-error-classification</c>, generated at build
/// time into <c>KlingOutcomeTable</c> (obj/KlingOutcomeTable.g.cs) by src/KlingGenerated.Generator. No code is named here.
/// </summary>
internal sealed class KlingOutcomeClassifier
{
    private readonly Rule[] _rules;
    private readonly Dictionary<int, Verdict> _codes;
    private readonly Verdict _unknownCode;
    private readonly HashSet<string> _billable;

    internal KlingOutcomeClassifier(
        (string Id, string[]? Answer, string[]? Body, int[]? HttpStatus, int[]? BodyCode, bool? CodeListed, bool? BodySuccess, string Outcome, bool Row, string? Kind, bool? Retryable, bool? CreateTaskMayExist)[] rules,
        (int Code, string Kind, bool Retryable, bool CreateTaskMayExist)[] codes,
        (string Kind, bool Retryable, bool CreateTaskMayExist) unknownCode,
        string[] billableOperations)
    {
        _rules = rules.Select(r => new Rule(r.Id, r.Answer, r.Body, r.HttpStatus, r.BodyCode, r.CodeListed, r.BodySuccess, r.Outcome == "success", r.Row,
            r.Kind is null ? null : KindNamed(r.Kind), r.Retryable, r.CreateTaskMayExist)).ToArray();
        _codes = codes.ToDictionary(c => c.Code, c => new Verdict(KindNamed(c.Kind), c.Retryable, c.CreateTaskMayExist));
        _unknownCode = new Verdict(KindNamed(unknownCode.Kind), unknownCode.Retryable, unknownCode.CreateTaskMayExist);
        _billable = new HashSet<string>(billableOperations, StringComparer.Ordinal);
    }

    /// <summary>The classifier of the document this library was built from.</summary>
    public static KlingOutcomeClassifier Document { get; } = new(KlingOutcomeTable.Rules, KlingOutcomeTable.Codes, KlingOutcomeTable.UnknownCode, KlingOutcomeTable.BillableOperations);

    /// <summary>True when the document marks <paramref name="operationId"/> <c>x-kling-billable</c>.</summary>
    public bool IsBillable(string operationId) => _billable.Contains(operationId);

    /// <summary>The outcome of <paramref name="attempt"/> of <paramref name="operationId"/>; <paramref name="billable"/> says whether it can create a paid task.</summary>
    public KlingOutcome Classify(string? operationId, bool billable, KlingAttempt attempt)
    {
        var http = attempt.Answer == "http";
        var code = !http ? 0 : attempt.Envelope && attempt.BodyCode != 200 ? attempt.BodyCode : attempt.HttpStatus;
        var listed = http && _codes.ContainsKey(code);
        foreach (var rule in _rules)
        {
            if (!rule.Matches(attempt, http, listed))
            {
                continue;
            }

            if (rule.Success)
            {
                return new KlingOutcome(operationId, rule.Id, true, KlingErrorKind.Unknown, code, http ? attempt.HttpStatus : null, billable, attempt.BodyLeft, false, false, null);
            }

            var row = rule.Row ? _codes.GetValueOrDefault(code, _unknownCode) : default;
            var kind = rule.Kind ?? row.Kind;
            var retryable = rule.Retryable ?? row.Retryable;
            var createTaskMayExist = rule.CreateTaskMayExist ?? row.CreateTaskMayExist;
            var taskMayExist = billable && createTaskMayExist && attempt.BodyLeft;
            return new KlingOutcome(operationId, rule.Id, false, kind, code, http ? attempt.HttpStatus : null, billable, attempt.BodyLeft, retryable && !taskMayExist, taskMayExist, null);
        }

        // The document's last rule matches every answer; without an answer, the safe side.
        return new KlingOutcome(operationId, "none", false, KlingErrorKind.Unknown, code, http ? attempt.HttpStatus : null, billable, attempt.BodyLeft, false, billable && attempt.BodyLeft, null);
    }

    private static KlingErrorKind KindNamed(string kind) => Enum.TryParse<KlingErrorKind>(kind, ignoreCase: false, out var parsed) ? parsed : KlingErrorKind.Unknown;

    private readonly record struct Verdict(KlingErrorKind Kind, bool Retryable, bool CreateTaskMayExist);

    private sealed record Rule(string Id, string[]? Answer, string[]? Body, int[]? HttpStatus, int[]? BodyCode, bool? CodeListed, bool? BodySuccess, bool Success, bool Row, KlingErrorKind? Kind, bool? Retryable, bool? CreateTaskMayExist)
    {
        public bool Matches(KlingAttempt attempt, bool http, bool listed) =>
            (Answer is null || Answer.Contains(attempt.Answer))
            && (Body is null || (http && Body.Contains(attempt.Envelope ? "envelope" : "other")))
            && (HttpStatus is null || (http && InRanges(HttpStatus, attempt.HttpStatus)))
            && (BodyCode is null || (http && attempt.Envelope && InRanges(BodyCode, attempt.BodyCode)))
            && (CodeListed is null || (http && CodeListed == listed))
            && (BodySuccess is null || (http && attempt.Envelope && attempt.BodySuccess == BodySuccess));

        private static bool InRanges(int[] bounds, int value)
        {
            for (var i = 0; i + 1 < bounds.Length; i += 2)
            {
                if (value >= bounds[i] && value <= bounds[i + 1])
                {
                    return true;
                }
            }

            return false;
        }
    }
}
