"""The names of every Redis key this deployment uses, all under one prefix.

A Redis may outlive a database (the embedded one lives in data/redis, the database may be elsewhere)
or serve several counties' deployments; fixed key names would let one database's stream, locks and
delivery marks pass for another's. So every name starts with `redis.prefix`, by default
"jianyi:<deployment id>:" from the id the database got when it was created (storage/identity.py).
"""
from __future__ import annotations

from dataclasses import dataclass

GROUP = "senders"  # the consumer group: a name inside the stream, not a key


@dataclass(frozen=True)
class RedisKeys:
    prefix: str

    @classmethod
    def for_deployment(cls, configured: str, deployment_id: str) -> "RedisKeys":
        """The configured prefix (redis.prefix), else one made from the database's deployment id."""
        prefix = configured or f"jianyi:{deployment_id}:"
        return cls(prefix if prefix.endswith(":") else prefix + ":")

    @property
    def stream(self) -> str:
        """The notifications the relay has handed on, read by the senders' consumer group."""
        return self.prefix + "notify"

    @property
    def dead(self) -> str:
        """A copy of each notification parked after too many failures (the database keeps the truth)."""
        return self.prefix + "notify:dead"

    @property
    def delayed(self) -> str:
        """Retries waiting for their backoff (a sorted set by due time)."""
        return self.prefix + "notify:delayed"

    @property
    def relay_lease(self) -> str:
        """Held by the one relay of this deployment."""
        return self.prefix + "notify:relay"

    def sent(self, row_id: int, openid: str) -> str:
        """Marks that a recipient was reached (after a crash or a partial fan-out); its value says by which row."""
        return f"{self.prefix}notify:sent:{row_id}:{openid}"

    def lock(self, row_id: int) -> str:
        """Held while a row is being sent, so two copies never go out together."""
        return f"{self.prefix}notify:lock:{row_id}"

    def token(self, app_id: str) -> str:
        """The access token shared by this deployment's workers, for one WeChat app."""
        return f"{self.prefix}wechat:access_token:{app_id}"

    def token_lock(self, app_id: str) -> str:
        return f"{self.prefix}wechat:token_lock:{app_id}"
