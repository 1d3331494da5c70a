using Grpc.Core;
using Grpc.Core.Interceptors;
using GrpcSync.Server.RateLimiting;

namespace GrpcSync.Server.Auth;

/// <summary>
/// Authenticates every call to the GrpcSync services (native gRPC and transcoded REST alike), applies the
/// caller's rate limit and puts the caller's (project, user) and whether it is an administrator on the call. Health and reflection stay open.
/// A token that is not already known to be valid is checked only while its remote address has failed
/// authentications to spare, so a flood of bad tokens costs a bucket lookup, not a signature check each.
/// </summary>
public sealed class AuthInterceptor(TokenValidator validator, CallerRateLimiter limiter) : Interceptor
{
    private const string ProtectedPrefix = "/grpcsync.v1.";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        await AuthenticateCall(context);
        return await continuation(request, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        // A stream is authenticated (and charged one permit) once, when it opens.
        await AuthenticateCall(context);
        await continuation(request, responseStream, context);
    }

    private async Task AuthenticateCall(ServerCallContext context)
    {
        if (context.Method.StartsWith(ProtectedPrefix, StringComparison.Ordinal))
        {
            context.SetCaller(await Authenticate(context.GetHttpContext()));
        }
    }

    private async Task<AuthenticatedCaller> Authenticate(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!validator.TryRecall(header, out var caller))
        {
            var address = http.Connection.RemoteIpAddress;
            if (!limiter.AddressMayAuthenticate(address, out var wait))
            {
                throw RateLimited.Exception(http, wait, "Too many requests with invalid tokens from this address.");
            }
            try
            {
                caller = await validator.ValidateAsync(header);
            }
            catch (RpcException error) when (error.StatusCode == StatusCode.Unauthenticated)
            {
                limiter.ChargeFailedAuthentication(address);
                throw;
            }
        }
        if (!limiter.TryAcquire(caller.Scope, out var retryAfter))
        {
            throw RateLimited.Exception(http, retryAfter, "Too many requests for this user.");
        }
        return caller;
    }
}
