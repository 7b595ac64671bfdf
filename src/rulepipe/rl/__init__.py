"""ReBO: on-policy RL on forget and boundary prompts with the verifiable refusal reward."""
