using System.Reflection;
using KlingGenerated.Generator;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests.Conformance;

/// <summary>
/// The classifier is generated from the document at build time (src/KlingGenerated.Generator into obj/), not copied:
/// the built table is what the generator makes of the document, and a changed row or mark in a copy of the document
/// gives a classifier that follows it.
/// </summary>
public sealed class GeneratedClassifierTests
{
    private const string MaintenanceRow = "'455': { kind: Maintenance, retryable: true, createTaskMayExist: false }";

    [Fact]
    public void The_built_outcome_table_is_what_the_generator_makes_of_the_document()
    {
        var built = File.ReadAllText(Path.Combine(Repo.Root, "src", "KlingGenerated", "obj", "KlingOutcomeTable.g.cs"));

        built.Should().Be(OutcomeTableGenerator.Generate(File.ReadAllText(Repo.SpecPath)));
        KlingOutcomeClassifier.Document.IsBillable("CreateTask").Should().BeTrue("the document marks CreateTask x-kling-billable");
        KlingOutcomeClassifier.Document.IsBillable("GetTaskRecord").Should().BeFalse();
    }

    [Fact]
    public void A_changed_row_in_a_copy_of_the_document_changes_the_generated_classifier()
    {
        var document = File.ReadAllText(Repo.SpecPath);
        document.Should().Contain(MaintenanceRow);
        var changed = document.Replace(MaintenanceRow, "'455': { kind: FeatureDisabled, retryable: false, createTaskMayExist: true }", StringComparison.Ordinal);

        var original = Classifier(document);
        var follower = Classifier(changed);
        var attempt = KlingAttempt.Http(200, envelope: true, bodyCode: 455);

        original.Classify("CreateTask", billable: true, attempt).Kind.Should().Be(KlingErrorKind.Maintenance);
        original.Classify("CreateTask", billable: true, attempt).IsRetryable.Should().BeTrue();
        var after = follower.Classify("CreateTask", billable: true, attempt);
        after.Kind.Should().Be(KlingErrorKind.FeatureDisabled);
        after.TaskMayExist.Should().BeTrue();
        after.IsRetryable.Should().BeFalse();
    }

    [Fact]
    public void A_rule_and_the_billable_mark_changed_in_a_copy_of_the_document_change_the_generated_classifier()
    {
        var document = File.ReadAllText(Repo.SpecPath);
        var changed = document
            .Replace("      x-kling-billable: true\n", string.Empty, StringComparison.Ordinal)
            .Replace("then: { outcome: error, kind: ServerError, retryable: true, createTaskMayExist: true }", "then: { outcome: error, kind: ServerError, retryable: false, createTaskMayExist: true }", StringComparison.Ordinal);
        changed.Should().NotBe(document);

        var follower = Classifier(changed);
        var html502 = KlingAttempt.Http(502, envelope: false, bodyCode: 0);

        Classifier(document).Classify("GetTaskRecord", billable: false, html502).IsRetryable.Should().BeTrue("rule http-5xx retries a query");
        follower.Classify("GetTaskRecord", billable: false, html502).IsRetryable.Should().BeFalse("the copy's rule http-5xx does not");
        follower.IsBillable("CreateTask").Should().BeFalse("the copy no longer marks CreateTask");
    }

    [Fact]
    public void A_rule_that_uses_a_fact_the_evaluation_does_not_define_stops_the_generation()
    {
        var broken = File.ReadAllText(Repo.SpecPath).Replace("when: { answer: [notSent] }", "when: { answer: [notSent], method: [POST] }", StringComparison.Ordinal);

        ((Action)(() => OutcomeTableGenerator.Generate(broken))).Should().Throw<InvalidDataException>().WithMessage("*not-sent*method*");
    }

    /// <summary>Generates the table from <paramref name="document"/>, compiles it on its own, and builds the classifier on it.</summary>
    private static KlingOutcomeClassifier Classifier(string document)
    {
        var assembly = ReadmeProgram.CompileWithTestReferences(OutcomeTableGenerator.Generate(document), "KlingOutcomeTable.g.cs");
        var table = assembly.GetType("KlingGenerated.KlingOutcomeTable", throwOnError: true)!;
        object Field(string name) => table.GetField(name, BindingFlags.Static | BindingFlags.NonPublic)!.GetValue(null)!;

        return new KlingOutcomeClassifier(
            ((string Id, string[]? Answer, string[]? Body, int[]? HttpStatus, int[]? BodyCode, bool? CodeListed, bool? BodySuccess, string Outcome, bool Row, string? Kind, bool? Retryable, bool? CreateTaskMayExist)[])Field("Rules"),
            ((int Code, string Kind, bool Retryable, bool CreateTaskMayExist)[])Field("Codes"),
            ((string Kind, bool Retryable, bool CreateTaskMayExist))Field("UnknownCode"),
            (string[])Field("BillableOperations"));
    }
}
