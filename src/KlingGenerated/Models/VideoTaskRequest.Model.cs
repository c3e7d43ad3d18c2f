using System.Reflection;
using Newtonsoft.Json;

namespace KlingGenerated;

// CUSTOM: the generated request types carry `model` as their discriminator (JsonInheritanceConverter writes it), not as a
// property; this names it for callers, telemetry and logs, read from the generated mapping so no model id is written here.
public partial class VideoTaskRequest
{
    /// <summary>
    /// The model this request is for: the value the document's discriminator maps to this request's type. It is sent as
    /// the body's <c>model</c>.
    /// </summary>
    [JsonIgnore]
    public string Model => KlingModels.ModelOf(GetType());

    /// <summary>The request's <c>input</c> object, whatever the model's input type is; null when it has none.</summary>
    [JsonIgnore]
    internal object? InputObject => GetType().GetProperty("Input", BindingFlags.Public | BindingFlags.Instance)?.GetValue(this);
}
